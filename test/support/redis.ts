// The Redis server for the tests of shared limits: PIK_TEST_REDIS_URL, else the local default (CI starts one).
import { Redis } from 'ioredis';

export const testRedisUrl = process.env.PIK_TEST_REDIS_URL || 'redis://127.0.0.1:6379';

/** Why the Redis half of a test cannot run here, or false when Redis answers (PIK_REQUIRE_REDIS=1 makes it fail instead). */
export async function needsRedis(): Promise<string | false> {
  const client = new Redis(testRedisUrl, { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, connectTimeout: 1000, retryStrategy: () => null });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.ping();
    return false;
  } catch (error) {
    const reason = `needs Redis at ${testRedisUrl}: ${error instanceof Error ? error.message : String(error)}`;
    if (process.env.PIK_REQUIRE_REDIS === '1') throw new Error(reason);
    return reason;
  } finally {
    client.disconnect();
  }
}
