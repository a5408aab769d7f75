// Wires the long-lived parts — database, caches, invalidation, usage batching — once, for the server and for tests.
import type { Logger } from 'pino';
import { AuthFailureLimiter } from './auth/auth-failure-limiter.ts';
import { ApiKeyCache } from './auth/key-cache.ts';
import { KeyUsageRecorder } from './auth/key-usage.ts';
import type { Config } from './config.ts';
import type { Database } from './db/database.ts';
import { InvalidationBus } from './db/invalidation.ts';
import { openSharedCounters, type SharedCounters } from './db/shared-counters.ts';
import { CachedTableRateSource } from './domain/fx/rate-source.ts';
import { AccountDirectory } from './db/account-directory.ts';
import type { Deps } from './domain/deps.ts';
import { RequestLogRecorder } from './domain/request-log/request-log-recorder.ts';
import { IdempotencySweeper } from './domain/idempotency/sweeper.ts';
import { ClaimLeases } from './domain/idempotency/leases.ts';
import { DepositSettler } from './domain/ledger/deposits.ts';
import { KeyExpiryNotifier } from './domain/api-keys/expiry.ts';
import { PaymentLinkExpirer } from './domain/payment-links/expirer.ts';
import type { DataKeyring } from './lib/sealed.ts';
import type { Environment } from './lib/environments.ts';
import { WebhookDispatcher, type DeliveryTransport } from './domain/webhooks/dispatcher.ts';
import { WebhookTransport } from './domain/webhooks/transport.ts';
import { Metrics } from './metrics.ts';

export interface Services extends Deps {
  config: Config;
  logger: Logger;
  keyCache: ApiKeyCache;
  /** Failed authentications per client address (API keys and the operator token); undefined when PIK_RATE_LIMIT=off. */
  authFailures: AuthFailureLimiter | undefined;
  /**
   * Where the rate limits and failed authentications are counted for every server process: Redis (PIK_REDIS_URL) or
   * PostgreSQL; undefined on the embedded database without Redis (one process), or when PIK_RATE_LIMIT=off.
   */
  sharedCounters: SharedCounters | undefined;
  keyUsage: KeyUsageRecorder;
  requestLog: RequestLogRecorder;
  /** Renews the Idempotency-Key claims of this process's requests in flight (src/domain/idempotency/leases.ts). */
  idempotencyLeases: ClaimLeases;
  operatorToken: string;
  /** The webhook delivery worker of this process. */
  webhooks: WebhookDispatcher;
  /** This process's Prometheus metrics (GET /metrics). */
  metrics: Metrics;
  /** Tells platforms of keys about to expire and records their expiry (api_key.expiring, api_key.expired). */
  keyExpiry: KeyExpiryNotifier;
  close(): Promise<void>;
}

export interface ServiceOptions {
  /** The clock of the domain and of the failed-authentication windows; tests move it. */
  now?: () => Date;
  /** How webhooks reach receivers, per environment; tests give a transport whose DNS answers what they need. */
  webhookTransport?: (environment: Environment, allowLoopback: boolean) => DeliveryTransport;
  /** The webhook worker's own connections (PostgreSQL), so a busy API does not hold up deliveries; else `db`'s. */
  workerDb?: Database;
}

export async function createServices(
  config: Config,
  db: Database,
  logger: Logger,
  operatorToken: string,
  dataKeys: DataKeyring,
  options: ServiceOptions = {},
): Promise<Services> {
  const invalidation = new InvalidationBus();
  await invalidation.start(db);
  const directory = new AccountDirectory(db, invalidation);
  const now = options.now ?? (() => new Date());
  // Expiry is decided by the services' clock (tests move it); without a movable clock, Date.now costs no Date per request.
  const keyCache = new ApiKeyCache(db, invalidation, Date.now, options.now ? () => now().getTime() : Date.now);
  const deps: Deps = { db, invalidation, directory, config, now, dataKeys, fxRates: new CachedTableRateSource(invalidation) };
  const sharedCounters = config.rateLimitEnabled ? await openSharedCounters(db, config.redisUrl, redisErrorLog(logger)) : undefined;
  const authFailures = config.rateLimitEnabled
    ? new AuthFailureLimiter(config.authFailuresPerMinute, () => now().getTime(), sharedCounters?.counter('auth-failures', 120), storeErrorLog(logger, sharedCounters?.kind))
    : undefined;
  const keyUsage = new KeyUsageRecorder(db, config.keyUsageFlushSeconds * 1000, (error) =>
    logger.warn({ err: error }, 'could not record API key usage; will retry'),
  );
  keyUsage.start();
  const requestLog = new RequestLogRecorder(deps, config.environments, 1000, (error) =>
    logger.warn({ err: error }, 'could not write the request log; will retry'),
  );
  requestLog.start();
  const settler = new DepositSettler(deps, (error) => logger.error({ err: error }, 'deposit settler pass failed; will retry'));
  settler.start();
  const keyExpiry = new KeyExpiryNotifier(deps, (error) => logger.error({ err: error }, 'key expiry pass failed; will retry'));
  keyExpiry.start();
  const expirer = new PaymentLinkExpirer(deps, (error) => logger.error({ err: error }, 'payment link expiry pass failed; will retry'));
  expirer.start();
  const sweeper = new IdempotencySweeper(deps, (error) => logger.warn({ err: error }, 'could not delete expired idempotency keys'));
  sweeper.start();
  const idempotencyLeases = new ClaimLeases(deps, (error) => logger.warn({ err: error }, 'could not renew Idempotency-Key claims; they lapse if this lasts'));
  idempotencyLeases.start();
  const metrics = new Metrics({ db, workerDb: options.workerDb, environments: config.environments });
  const transports = new Map<Environment, DeliveryTransport>();
  const makeTransport = options.webhookTransport ?? ((_environment, allowLoopback) => new WebhookTransport({ timeoutMs: config.webhooks.timeoutMs, allowLoopback }));
  const webhooks = new WebhookDispatcher(deps, {
    transportFor: (environment) => {
      let transport = transports.get(environment);
      if (!transport) {
        // Production never calls a loopback address; sandbox does only when the operator allows it for local development.
        transport = makeTransport(environment, environment === 'sandbox' && config.webhooks.allowSandboxLoopback);
        transports.set(environment, transport);
      }
      return transport;
    },
    onError: (error) => logger.error({ err: error }, 'webhook delivery worker failed; will retry'),
    onDelivered: (environment, seconds) => metrics.recordWebhookDelivered(environment, seconds),
    db: options.workerDb,
  });
  await webhooks.start();
  return {
    ...deps,
    config,
    logger,
    keyCache,
    authFailures,
    sharedCounters,
    keyUsage,
    requestLog,
    idempotencyLeases,
    operatorToken,
    webhooks,
    metrics,
    keyExpiry,
    close: async () => {
      await keyExpiry.stop();
      await webhooks.stop();
      for (const transport of transports.values()) await transport.close();
      sweeper.stop();
      await idempotencyLeases.stop();
      await settler.stop();
      await expirer.stop();
      await keyUsage.stop();
      await requestLog.stop();
      await authFailures?.flush();
      await sharedCounters?.close();
      await invalidation.close();
      metrics.registry.clear();
    },
  };
}

const storeErrorLogEveryMs = 60_000;

/** Redis connection errors, at most one line a minute while they last (the client reconnects by itself). */
function redisErrorLog(logger: Logger): (error: Error) => void {
  let lastAt = -Infinity;
  return (error) => {
    if (Date.now() - lastAt < storeErrorLogEveryMs) return;
    lastAt = Date.now();
    logger.warn({ err: { message: error.message, code: (error as NodeJS.ErrnoException).code } }, 'Redis (PIK_REDIS_URL) is unreachable: limits are counted in each process until it answers');
  };
}

/** A failed add of failed authentications to the shared store: each process counts its own until it answers. */
function storeErrorLog(logger: Logger, store: string | undefined): (error: unknown) => void {
  let lastAt = -Infinity;
  return (error) => {
    if (Date.now() - lastAt < storeErrorLogEveryMs) return;
    lastAt = Date.now();
    logger.warn({ err: error, store }, 'could not share failed authentications: counting in this process only until the store answers');
  };
}
