// Environment variables, parsed once at start with one clear error per bad variable.
import path from 'node:path';
import { environments, type Environment } from './lib/environments.ts';

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  databaseUrl: string | undefined;
  environments: readonly Environment[];
  operatorToken: string | undefined;
  logLevel: string;
  publicUrl: string;
  rateLimitEnabled: boolean;
  /** 401s one client address may receive per minute before it is answered 429 (when rate limiting is on). */
  authFailuresPerMinute: number;
  keyUsageFlushSeconds: number;
  bodyLimitBytes: number;
  /** Sandbox deposits settle (pending → available) this long after they arrive. */
  sandboxSettleDelayMs: number;
  /** An Idempotency-Key claim not applied within this time belongs to a dead request; a retry may take it over. */
  idempotencyClaimTtlMs: number;
  /** Fastify's trustProxy: false, a hop count, or the proxies' addresses/CIDRs. Decides request.ip (rate limits, throttling, "last used" IP). */
  trustProxy: boolean | number | string;
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

  const logLevel = env.LOG_LEVEL || 'info';
  if (!logLevels.includes(logLevel)) problems.push(`LOG_LEVEL must be one of ${logLevels.join(', ')} (got "${logLevel}")`);

  const rateLimit = env.PIK_RATE_LIMIT || 'on';
  if (rateLimit !== 'on' && rateLimit !== 'off') problems.push(`PIK_RATE_LIMIT must be "on" or "off" (got "${rateLimit}")`);

  const publicUrl = (env.PIK_PUBLIC_URL || `http://${host.includes(':') ? `[${host}]` : host}:${port}`).replace(/\/+$/, '');
  if (!/^https?:\/\//.test(publicUrl)) problems.push('PIK_PUBLIC_URL must start with http:// or https://');

  const authFailuresPerMinute = integer('PIK_AUTH_FAILURES_PER_MINUTE', 30, 1, 100_000);
  const keyUsageFlushSeconds = integer('PIK_KEY_USAGE_FLUSH_SECONDS', 15, 1, 60);
  const bodyLimitBytes = integer('PIK_BODY_LIMIT_BYTES', 1024 * 1024, 1024, 50 * 1024 * 1024);
  const sandboxSettleDelayMs = integer('PIK_SANDBOX_SETTLE_MS', 5000, 0, 3_600_000);
  const idempotencyClaimTtlMs = integer('PIK_IDEMPOTENCY_LOCK_SECONDS', 60, 1, 3600) * 1000;

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

  if (problems.length > 0) throw new ConfigError(problems);
  return {
    port,
    host,
    dataDir,
    databaseUrl,
    environments: served,
    operatorToken,
    logLevel,
    publicUrl,
    rateLimitEnabled: rateLimit === 'on',
    authFailuresPerMinute,
    keyUsageFlushSeconds,
    bodyLimitBytes,
    sandboxSettleDelayMs,
    idempotencyClaimTtlMs,
    trustProxy,
  };
}
