// A live in-process server for the SDK's tests: the test app listening on a free port, and a Pik client of a new platform.
import { Pik, type PikOptions } from '../../packages/sdk/src/index.ts';
import type { Config } from '../../src/config.ts';
import { createTestPlatform, startTestApp, type TestContext, type TestPlatform } from './context.ts';

export interface SdkServer {
  ctx: TestContext;
  baseUrl: string;
  platform: TestPlatform;
  pik: Pik;
  client(options?: Partial<PikOptions>): Pik;
}

export async function startSdkServer(overrides: Partial<Config> = {}): Promise<SdkServer> {
  const ctx = await startTestApp(overrides);
  await ctx.app.listen({ port: 0, host: '127.0.0.1' });
  const address = ctx.app.server.address();
  if (typeof address !== 'object' || address === null) throw new Error('the test server has no port');
  const baseUrl = `http://127.0.0.1:${address.port}`;
  const platform = await createTestPlatform(ctx);
  const client = (options: Partial<PikOptions> = {}) => new Pik({ apiKey: platform.keys.sandbox, baseUrl, initialRetryDelayMs: 5, ...options });
  return { ctx, baseUrl, platform, pik: client(), client };
}
