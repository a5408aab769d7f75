// Environment variables, parsed once at start with one clear error per bad variable.
import path from 'node:path';
import { environments, type Environment } from './lib/environments.ts';
import { parseDuration, parseDurationList } from './lib/durations.ts';
import { parseDataKey } from './lib/sealed.ts';
import { parseScanningPublicKeys, type ScanningPublicKey } from './lib/secret-scanning.ts';

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  databaseUrl: string | undefined;
  environments: readonly Environment[];
  operatorToken: string | undefined;
  /** PIK_DATA_KEY: the key that seals identity data at rest; unset with PGlite, a key file in dataDir is used (src/db/data-keys.ts). */
  dataKey: string | undefined;
  /** PIK_DATA_KEYS_OLD: keys of earlier rotations, kept only to read (and re-seal at start) rows sealed under them. */
  dataKeysOld: string[];
  logLevel: string;
  publicUrl: string;
  rateLimitEnabled: boolean;
  /** 401s one client address may receive per minute before it is answered 429 (when rate limiting is on). */
  authFailuresPerMinute: number;
  /**
   * PIK_REDIS_URL: where every server process counts the rate limits and failed authentications; unset, they are
   * counted in PostgreSQL (DATABASE_URL) or, on the embedded database, in this process (docs/operations.md).
   */
  redisUrl: string | undefined;
  /** PIK_METRICS_PORT: a second listener serving only GET /metrics, without the operator token; unset, none. */
  metricsPort: number | undefined;
  keyUsageFlushSeconds: number;
  bodyLimitBytes: number;
  /** Sandbox deposits settle (pending → available) this long after they arrive. */
  sandboxSettleDelayMs: number;
  /**
   * PIK_IDEMPOTENCY_LOCK_SECONDS: the longest a live request keeps its Idempotency-Key claim (renewed while it runs);
   * past it, a retry may take the key over.
   */
  idempotencyClaimTtlMs: number;
  /**
   * PIK_IDEMPOTENCY_LEASE_SECONDS: a claim is leased for this long and renewed while its request runs, so the claim of
   * a request whose process died (or whose answer could not be recorded) blocks retries for at most this long.
   */
  idempotencyLeaseMs: number;
  /** PIK_DB_WAIT_SECONDS: at start, how long to wait for PostgreSQL to accept connections before giving up. */
  dbWaitMs: number;
  /** PIK_REQUEST_TIMEOUT_MS: a request's headers and body must arrive within this time, or it is answered 408. */
  requestTimeoutMs: number;
  /** PIK_SHUTDOWN_GRACE_MS: on SIGTERM/SIGINT, how long requests in flight may take before their connections are closed. */
  shutdownGraceMs: number;
  /** PIK_MIN_FREE_DISK_MB: below this much free space in PGlite's data directory, /health/ready answers 503. */
  minFreeDiskBytes: number;
  /** Fastify's trustProxy: false, a hop count, or the proxies' addresses/CIDRs. Decides request.ip (rate limits, throttling, "last used" IP). */
  trustProxy: boolean | number | string;
  webhooks: WebhookConfig;
  /** PIK_SECRET_SCANNING_PUBLIC_KEYS: whose leak reports are accepted (GitHub's published key list); empty: none. */
  secretScanningPublicKeys: ScanningPublicKey[];
  /** PIK_LEAKED_KEY_ACTION: a reported key is flagged exposed ("flag", the default) or also deleted at once ("revoke"). */
  leakedKeyAction: 'flag' | 'revoke';
  fx: FxConfig;
}

export interface FxConfig {
  /** PIK_FX_MAX_RATE_AGE: a rate set longer ago than this is stale; a pair priced from it answers 503 RATES_UNAVAILABLE. */
  maxRateAgeMs: number;
  /** PIK_FX_QUOTE_TTL_SECONDS: how long a quote can be converted. */
  quoteTtlMs: number;
}

export interface WebhookConfig {
  /** PIK_WEBHOOK_TIMEOUT_MS: an attempt that has no 2xx answer by then failed. */
  timeoutMs: number;
  /** PIK_WEBHOOK_RETRY_SCHEDULE: the wait before each retry; after the last one fails the delivery is undelivered. */
  retryScheduleMs: number[];
  /** PIK_WEBHOOK_ALLOW_LOOPBACK=sandbox: sandbox endpoints may be http://localhost or a loopback address. */
  allowSandboxLoopback: boolean;
  /** PIK_WEBHOOK_DISABLE_AFTER: an endpoint whose every attempt failed for this long is disabled. */
  disableAfterMs: number;
  /** PIK_WEBHOOK_POLL_MS: how often the worker looks for due work when nothing wakes it (retries come due this way). */
  pollMs: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const problems: string[] = [];

  const integer = (name: string, fallback: number, min: number, max: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!/^\d+$/.test(raw) || value < min || value > max) {
      problems.push(`${name} must be a whole number from ${min} to ${max} (got "${raw}")`);
      return fallback;
    }
    return value;
  };

  const port = integer('PORT', 4000, 0, 65535);
  const host = env.HOST || '127.0.0.1';
  const dataDir = path.resolve(env.PIK_DATA_DIR || './.pik');

  const databaseUrl = env.DATABASE_URL || undefined;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    problems.push('DATABASE_URL must start with postgres:// or postgresql://');
  }

  let served: Environment[] = [...environments];
  if (env.PIK_ENVIRONMENTS) {
    const names = env.PIK_ENVIRONMENTS.split(',').map((s) => s.trim()).filter(Boolean);
    const unknown = names.filter((n) => !(environments as readonly string[]).includes(n));
    if (unknown.length > 0 || names.length === 0) {
      problems.push(`PIK_ENVIRONMENTS must be "sandbox", "production" or "sandbox,production" (got "${env.PIK_ENVIRONMENTS}")`);
    } else {
      served = environments.filter((e) => names.includes(e));
    }
  }

  const operatorToken = env.PIK_OPERATOR_TOKEN || undefined;
  if (operatorToken !== undefined && operatorToken.length < 24) {
    problems.push('PIK_OPERATOR_TOKEN must be at least 24 characters long');
  }

  // Never repeat these values in a message: they are keys.
  const dataKey = env.PIK_DATA_KEY || undefined;
  if (dataKey !== undefined && !parseDataKey(dataKey)) {
    problems.push('PIK_DATA_KEY must be 32 random bytes as base64 or 64 hex digits (make one with: openssl rand -base64 32)');
  }
  if (dataKey === undefined && databaseUrl && /^postgres(ql)?:\/\//.test(databaseUrl)) {
    // Several servers share one PostgreSQL database: a key file generated by each would seal rows the others cannot read.
    problems.push('PIK_DATA_KEY is required with DATABASE_URL: every server of the deployment needs the same key (make one with: openssl rand -base64 32)');
  }
  const dataKeysOld = (env.PIK_DATA_KEYS_OLD ?? '').split(',').map((k) => k.trim()).filter(Boolean);
  if (dataKeysOld.some((k) => !parseDataKey(k))) {
    problems.push('PIK_DATA_KEYS_OLD must be a comma-separated list of keys in the form of PIK_DATA_KEY');
  }

  const logLevel = env.LOG_LEVEL || 'info';
  if (!logLevels.includes(logLevel)) problems.push(`LOG_LEVEL must be one of ${logLevels.join(', ')} (got "${logLevel}")`);

  const rateLimit = env.PIK_RATE_LIMIT || 'on';
  if (rateLimit !== 'on' && rateLimit !== 'off') problems.push(`PIK_RATE_LIMIT must be "on" or "off" (got "${rateLimit}")`);

  const publicUrl = (env.PIK_PUBLIC_URL || `http://${host.includes(':') ? `[${host}]` : host}:${port}`).replace(/\/+$/, '');
  if (!/^https?:\/\//.test(publicUrl)) problems.push('PIK_PUBLIC_URL must start with http:// or https://');

  const authFailuresPerMinute = integer('PIK_AUTH_FAILURES_PER_MINUTE', 30, 1, 100_000);
  const redisUrl = env.PIK_REDIS_URL || undefined;
  // Never repeat the value: it may carry a password.
  if (redisUrl !== undefined && !/^rediss?:\/\/[^\s]+$/.test(redisUrl)) problems.push('PIK_REDIS_URL must start with redis:// or rediss://');
  const metricsPort = env.PIK_METRICS_PORT ? integer('PIK_METRICS_PORT', 0, 1, 65535) : undefined;
  const keyUsageFlushSeconds = integer('PIK_KEY_USAGE_FLUSH_SECONDS', 15, 1, 60);
  const bodyLimitBytes = integer('PIK_BODY_LIMIT_BYTES', 1024 * 1024, 1024, 50 * 1024 * 1024);
  const sandboxSettleDelayMs = integer('PIK_SANDBOX_SETTLE_MS', 5000, 0, 3_600_000);
  const idempotencyClaimTtlMs = integer('PIK_IDEMPOTENCY_LOCK_SECONDS', 60, 1, 3600) * 1000;
  const idempotencyLeaseMs = integer('PIK_IDEMPOTENCY_LEASE_SECONDS', 5, 1, 3600) * 1000;
  const dbWaitMs = integer('PIK_DB_WAIT_SECONDS', 60, 0, 86_400) * 1000;
  const requestTimeoutMs = integer('PIK_REQUEST_TIMEOUT_MS', 30_000, 100, 3_600_000);
  const shutdownGraceMs = integer('PIK_SHUTDOWN_GRACE_MS', 10_000, 0, 600_000);
  const minFreeDiskBytes = integer('PIK_MIN_FREE_DISK_MB', 100, 0, 1_000_000) * 1024 * 1024;

  const trustProxyRaw = (env.PIK_TRUST_PROXY || 'off').trim();
  let trustProxy: boolean | number | string = false;
  if (/^\d+$/.test(trustProxyRaw)) trustProxy = Number(trustProxyRaw);
  else if (trustProxyRaw !== 'off') {
    const parts = trustProxyRaw.split(',').map((p) => p.trim());
    if (parts.some((p) => !/^[0-9a-fA-F.:]+(\/\d{1,3})?$/.test(p))) {
      problems.push(`PIK_TRUST_PROXY must be "off", a number of proxy hops, or a comma-separated list of proxy IPs/CIDRs (got "${trustProxyRaw}")`);
    } else {
      trustProxy = parts.join(',');
    }
  }

  const webhookTimeoutMs = integer('PIK_WEBHOOK_TIMEOUT_MS', 10_000, 100, 60_000);
  const scheduleRaw = env.PIK_WEBHOOK_RETRY_SCHEDULE || '5m,30m,2h,8h,24h';
  const retryScheduleMs = parseDurationList(scheduleRaw);
  if (retryScheduleMs === undefined || retryScheduleMs.length > 20) {
    problems.push(`PIK_WEBHOOK_RETRY_SCHEDULE must be up to 20 comma-separated durations such as "5m,30m,2h,8h,24h" (units ms, s, m, h, d; got "${scheduleRaw}")`);
  }
  const loopback = env.PIK_WEBHOOK_ALLOW_LOOPBACK || 'off';
  if (loopback !== 'off' && loopback !== 'sandbox') problems.push(`PIK_WEBHOOK_ALLOW_LOOPBACK must be "off" or "sandbox" (got "${loopback}")`);
  const disableRaw = env.PIK_WEBHOOK_DISABLE_AFTER || '5d';
  const disableAfterMs = parseDuration(disableRaw);
  if (disableAfterMs === undefined) problems.push(`PIK_WEBHOOK_DISABLE_AFTER must be a duration such as "5d" (got "${disableRaw}")`);
  const webhookPollMs = integer('PIK_WEBHOOK_POLL_MS', 1000, 10, 60_000);

  const maxRateAgeRaw = env.PIK_FX_MAX_RATE_AGE || '24h';
  const maxRateAgeMs = parseDuration(maxRateAgeRaw);
  if (maxRateAgeMs === undefined || maxRateAgeMs < 1000) problems.push(`PIK_FX_MAX_RATE_AGE must be a duration of at least 1s such as "24h" (got "${maxRateAgeRaw}")`);
  const quoteTtlMs = integer('PIK_FX_QUOTE_TTL_SECONDS', 30, 1, 3600) * 1000;
  let secretScanningPublicKeys: ScanningPublicKey[] = [];
  if (env.PIK_SECRET_SCANNING_PUBLIC_KEYS) {
    const keys = parseScanningPublicKeys(env.PIK_SECRET_SCANNING_PUBLIC_KEYS);
    if (typeof keys === 'string') problems.push(`PIK_SECRET_SCANNING_PUBLIC_KEYS ${keys} (use the JSON of https://api.github.com/meta/public_keys/secret_scanning)`);
    else secretScanningPublicKeys = keys;
  }
  const leakedKeyAction = env.PIK_LEAKED_KEY_ACTION || 'flag';
  if (leakedKeyAction !== 'flag' && leakedKeyAction !== 'revoke') problems.push(`PIK_LEAKED_KEY_ACTION must be "flag" or "revoke" (got "${leakedKeyAction}")`);

  if (problems.length > 0) throw new ConfigError(problems);
  return {
    port,
    host,
    dataDir,
    databaseUrl,
    environments: served,
    operatorToken,
    dataKey,
    dataKeysOld,
    logLevel,
    publicUrl,
    rateLimitEnabled: rateLimit === 'on',
    authFailuresPerMinute,
    redisUrl,
    metricsPort,
    keyUsageFlushSeconds,
    bodyLimitBytes,
    sandboxSettleDelayMs,
    idempotencyClaimTtlMs,
    idempotencyLeaseMs,
    dbWaitMs,
    requestTimeoutMs,
    shutdownGraceMs,
    minFreeDiskBytes,
    trustProxy,
    webhooks: {
      timeoutMs: webhookTimeoutMs,
      retryScheduleMs: retryScheduleMs ?? [],
      allowSandboxLoopback: loopback === 'sandbox',
      disableAfterMs: disableAfterMs ?? 0,
      pollMs: webhookPollMs,
    },
    fx: { maxRateAgeMs: maxRateAgeMs ?? 0, quoteTtlMs },
    secretScanningPublicKeys,
    leakedKeyAction: leakedKeyAction === 'revoke' ? 'revoke' : 'flag',
  };
}
