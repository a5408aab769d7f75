// One in-process server per test file: its own database, real services, and helpers to call it like a client.
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.ts';
import { loadConfig, type Config } from '../../src/config.ts';
import type { Environment } from '../../src/lib/environments.ts';
import { createLogger } from '../../src/logger.ts';
import { createServices, type ServiceOptions, type Services } from '../../src/services.ts';
import { DataKeyring, parseDataKey } from '../../src/lib/sealed.ts';
import { openPostgres } from '../../src/db/database.ts';
import { createTestDatabase, type TestDatabase } from './database.ts';

export interface CallOptions {
  key?: string | undefined;
  onBehalfOf?: string | string[] | undefined;
  body?: unknown;
  headers?: Record<string, string>;
  /** The client address the server sees on the socket (default 127.0.0.1). */
  remoteAddress?: string;
}

export interface CallResult {
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- tests assert on arbitrary JSON
  raw: string;
}

export interface TestContext {
  app: FastifyInstance;
  services: Services;
  database: TestDatabase;
  operatorToken: string;
  /** Every log line the server wrote, for the "no secrets in logs" tests. */
  logLines: string[];
  call(method: string, url: string, options?: CallOptions): Promise<CallResult>;
  admin(method: string, url: string, body?: unknown): Promise<CallResult>;
  close(): Promise<void>;
}

export const testOperatorToken = `pikop_test_${'x'.repeat(30)}`;
/** The data key of test servers (PIK_DATA_KEY for server processes on PostgreSQL); tests of rotation make their own. */
export const testDataKey = Buffer.alloc(32, 7).toString('base64');
export const testDataKeyring = new DataKeyring(parseDataKey(testDataKey) as Buffer);

export async function startTestApp(overrides: Partial<Config> = {}, options: ServiceOptions = {}): Promise<TestContext> {
  return appOn(await createTestDatabase(), overrides, options);
}

/**
 * A second server on the PostgreSQL database of `ctx`, with its own pool, caches and limiters: another process of the
 * same deployment, in this one. Closing it leaves the database to `ctx`.
 */
export async function startPeerApp(ctx: TestContext, overrides: Partial<Config> = {}, options: ServiceOptions = {}): Promise<TestContext> {
  if (!ctx.database.url) throw new Error('startPeerApp needs a PostgreSQL test database');
  const db = await openPostgres(ctx.database.url, 5);
  return appOn({ db, url: ctx.database.url, drop: () => db.close() }, overrides, options);
}

async function appOn(database: TestDatabase, overrides: Partial<Config>, options: ServiceOptions): Promise<TestContext> {
  const config: Config = { ...loadConfig({}), rateLimitEnabled: false, ...overrides };
  const logLines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      logLines.push(String(chunk));
      done();
    },
  });
  const logger = createLogger('info', { secrets: [testOperatorToken], destination });
  const services = await createServices(config, database.db, logger, testOperatorToken, testDataKeyring, options);
  const app = await buildApp(services);
  await app.ready();

  const call = async (method: string, url: string, options: CallOptions = {}): Promise<CallResult> => {
    const headers: Record<string, string | string[]> = { ...options.headers };
    if (options.key !== undefined) headers.authorization = `Bearer ${options.key}`;
    if (options.onBehalfOf !== undefined) headers['x-on-behalf-of'] = options.onBehalfOf;
    const response = await app.inject({
      method: method as 'GET',
      url,
      headers,
      ...(options.remoteAddress === undefined ? {} : { remoteAddress: options.remoteAddress }),
      ...(options.body === undefined ? {} : typeof options.body === 'string' ? { payload: options.body } : { payload: options.body as object }),
    });
    let body: unknown = undefined;
    try {
      body = response.body ? JSON.parse(response.body) : undefined;
    } catch {
      body = undefined;
    }
    return { status: response.statusCode, headers: response.headers, body, raw: response.body };
  };

  return {
    app,
    services,
    database,
    operatorToken: testOperatorToken,
    logLines,
    call,
    admin: (method, url, body) => call(method, url, { headers: { authorization: `Bearer ${testOperatorToken}` }, body }),
    close: async () => {
      await app.close();
      await services.close();
      await database.drop();
    },
  };
}

export interface TestPlatform {
  id: string;
  name: string;
  keys: Record<Environment, string>;
  keyIds: Record<Environment, string>;
}

let platformCounter = 0;

/** A platform with one active key per environment, created through the operator API like a real one. */
export async function createTestPlatform(ctx: TestContext, name = `Platform ${++platformCounter}`): Promise<TestPlatform> {
  const email = `owner-${Date.now()}-${Math.random().toString(36).slice(2)}@example.test`;
  const created = await ctx.admin('POST', '/admin/v1/platforms', { name, owner_email: email, owner_password: 'correct horse battery staple' });
  if (created.status !== 201) throw new Error(`platform create failed: ${created.raw}`);
  const id = created.body.id as string;
  const sandbox = await createTestKey(ctx, id, 'sandbox');
  const production = await createTestKey(ctx, id, 'production');
  return { id, name, keys: { sandbox: sandbox.secret, production: production.secret }, keyIds: { sandbox: sandbox.id, production: production.id } };
}

export async function createTestKey(ctx: TestContext, platformId: string, environment: Environment): Promise<{ id: string; secret: string }> {
  const key = await ctx.admin('POST', `/admin/v1/platforms/${platformId}/keys`, { environment });
  if (key.status !== 201) throw new Error(`key create failed: ${key.raw}`);
  return { id: key.body.id, secret: key.body.secret };
}

export async function createTestConnectedAccount(
  ctx: TestContext,
  platform: TestPlatform,
  environment: Environment = 'sandbox',
  overrides: Record<string, unknown> = {},
): Promise<string> {
  const response = await ctx.call('POST', '/api/v1/accounts', {
    key: platform.keys[environment],
    body: { customer_type: 'individual', email: `c-${Math.random().toString(36).slice(2)}@example.test`, country: 'AU', ...overrides },
  });
  if (response.status !== 201) throw new Error(`account create failed: ${response.raw}`);
  return response.body.id as string;
}
