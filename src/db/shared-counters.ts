// Counters every server process shares — the rate limits and failed authentications — in Redis (PIK_REDIS_URL) or in
// PostgreSQL, through rate-limiter-flexible's stores; none on the embedded database, where one process counts alone.
// ioredis and rate-limiter-flexible are loaded only where counters are shared: the embedded database's single process
// never needs them, and loading them was some 40 ms of every start.
import type { RateLimiterStoreAbstract } from 'rate-limiter-flexible';
import type { Database } from './database.ts';

/**
 * One family of counters (a namespace), each counter living `ttlSeconds` from its first addition. The callers put the
 * window in the key (`…:<window start>`), so every process counts one window into one counter whatever its clock did
 * in between; the TTL only clears counters of windows that are over.
 */
export interface SharedCounter {
  /** Adds `amount` atomically and answers the counter's total after the addition (everyone's additions). */
  add(key: string, amount: number): Promise<number>;
}

export interface SharedCounters {
  readonly kind: 'postgres' | 'redis';
  counter(namespace: string, ttlSeconds: number): SharedCounter;
  close(): Promise<void>;
}

/** The table of migration 0018 (its columns are the ones rate-limiter-flexible's PostgreSQL store reads and writes). */
const table = { schemaName: 'core', tableName: 'rate_limit_counters' };
/**
 * The library refuses a consume that passes `points`; we use it as an atomic fetch-and-add and decide ourselves, so
 * `points` is out of reach (the column is an integer; a window's total stays far below this).
 */
const unreachable = 2_000_000_000;
/** A Redis command that has no answer by then fails, and the caller fails open (src/http/rate-limit.ts). */
const redisCommandTimeoutMs = 1000;

/**
 * Redis when configured (any database), else PostgreSQL when the server runs on it; undefined on PGlite without Redis.
 * `onRedisError` hears the client's connection errors (it reconnects by itself); the URL is never logged (it may hold a
 * password).
 */
export async function openSharedCounters(
  db: Database,
  redisUrl: string | undefined,
  onRedisError: (error: Error) => void,
): Promise<SharedCounters | undefined> {
  if (!redisUrl && db.kind !== 'postgres') return undefined;
  const library = await import('rate-limiter-flexible');
  if (redisUrl) return openRedisCounters(library, redisUrl, onRedisError);
  return postgresCounters(library, db);
}

type Library = typeof import('rate-limiter-flexible');

function counterOver({ RateLimiterRes }: Library, limiter: RateLimiterStoreAbstract): SharedCounter {
  return {
    add: async (key, amount) => {
      try {
        return (await limiter.consume(key, amount)).consumedPoints;
      } catch (refusal) {
        // Only past `unreachable`; a store error is an Error and goes to the caller.
        if (refusal instanceof RateLimiterRes) return refusal.consumedPoints;
        throw refusal;
      }
    },
  };
}

function postgresCounters(library: Library, db: Database): SharedCounters {
  const limiters: InstanceType<Library['RateLimiterPostgres']>[] = [];
  return {
    kind: 'postgres',
    counter: (namespace, ttlSeconds) => {
      // One upsert per call on the request pool (`points = points + $2`, the row reset once its expiry passed); rows of
      // ended windows are deleted by the library every five minutes, an hour after they expired.
      const limiter = new library.RateLimiterPostgres({ storeClient: db.pool, storeType: 'pool', ...table, tableCreated: true, keyPrefix: namespace, points: unreachable, duration: ttlSeconds });
      limiters.push(limiter);
      return counterOver(library, limiter);
    },
    close: async () => {
      // The library's clean-up timer is unref'd and swallows its errors; stop it so a closed pool is not queried.
      for (const limiter of limiters) clearTimeout((limiter as unknown as { _clearExpiredTimeoutId?: NodeJS.Timeout })._clearExpiredTimeoutId);
    },
  };
}

async function openRedisCounters(library: Library, url: string, onError: (error: Error) => void): Promise<SharedCounters> {
  const { Redis } = await import('ioredis');
  const client = new Redis(url, {
    // A command sent while disconnected fails at once instead of waiting in a queue: the rate limiter then counts in
    // this process (fails open) rather than holding requests until Redis is back.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: redisCommandTimeoutMs,
    // Commands issued in the same tick (a burst of reservations, a batch of failures) go in one round trip.
    enableAutoPipelining: true,
    lazyConnect: true,
  });
  client.on('error', onError);
  try {
    await client.connect();
  } catch (error) {
    // Not fatal: limits are counted per process until Redis answers (the client keeps trying in the background).
    onError(error instanceof Error ? error : new Error(String(error)));
  }
  return {
    kind: 'redis',
    counter: (namespace, ttlSeconds) =>
      counterOver(library, new library.RateLimiterRedis({ storeClient: client, rejectIfRedisNotReady: true, keyPrefix: `pik:${namespace}`, points: unreachable, duration: ttlSeconds })),
    close: async () => {
      client.removeAllListeners('error');
      client.on('error', () => undefined);
      await client.quit().catch(() => client.disconnect());
    },
  };
}
