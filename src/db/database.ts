// Opens the database — embedded PGlite or PostgreSQL — behind one pg.Pool, one Kysely and one notify channel.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import v8 from 'node:v8';
import { PGlite } from '@electric-sql/pglite';
import { createPgConfig } from '@electric-sql/pglite/node-postgres';
import { Kysely, PostgresDialect, sql, type RawBuilder, type Transaction } from 'kysely';
import pg from 'pg';
import type { Environment } from '../lib/environments.ts';
import { isDatabaseUnavailable } from './errors.ts';
import { OutboxSignal, outboxChannel } from './outbox-signal.ts';
import { environmentHandles } from './statements.ts';
import type { CoreDb, CoreTables, EnvDb } from './schema.ts';

// int8 columns hold money in minor units; never let them become floats.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => BigInt(value));
// numeric(38,0) holds running balances (ledger_balances), integer minor units beyond int8's range: bigint too. A
// numeric with a fraction has no place in this schema, and BigInt() refuses one rather than round it.
pg.types.setTypeParser(pg.types.builtins.NUMERIC, (value) => BigInt(value));

export type Notification = (payload: string) => void;

export interface Tx {
  core: CoreDb;
  env(environment: Environment): EnvDb;
  /** Queued by PostgreSQL and delivered to every listener (every server process) only if the transaction commits. */
  notify(channel: string, payload: string): Promise<void>;
}

export interface OpenTransaction {
  tx: Tx;
  commit(): Promise<void>;
  rollback(): Promise<void>;
}

export interface Database {
  readonly kind: 'pglite' | 'postgres';
  readonly pool: pg.Pool;
  readonly core: CoreDb;
  env(environment: Environment): EnvDb;
  /** BEGIN on a connection of its own; the caller must end it with commit or rollback (see runUnitOfWork). */
  beginTransaction(): Promise<OpenTransaction>;
  /**
   * Runs one statement as a transaction of its own (no BEGIN, no COMMIT: PostgreSQL commits a lone statement, all of
   * it or nothing). runUnitOfWork sends a unit of work made only of queued writes this way.
   */
  commitAlone(statement: RawBuilder<unknown>, options?: { prepared?: boolean }): Promise<void>;
  /** Subscribes to a notify channel; onGap runs when the subscription was interrupted and messages may be lost. */
  listen(channel: string, onMessage: Notification, onGap?: () => void): Promise<() => Promise<void>>;
  /** Rung after a commit that recorded events (runUnitOfWork does it): wakes the webhook worker of every process. */
  readonly outbox: OutboxSignal;
  /**
   * Whether every LISTEN subscription is connected now (always on PGlite). A lost one reconnects by itself, with
   * backoff; meanwhile notifications are missed, so the readiness check reports it (src/http/health.ts).
   */
  isListening(): boolean;
  close(): Promise<void>;
  /** PGlite only: a tarball of the data directory (tests clone a migrated database; `pik backup` gzips it). */
  dumpDataDir?: (compression?: 'none' | 'gzip') => Promise<Blob>;
}

function makeTx(trx: Transaction<CoreTables>): Tx {
  return {
    core: trx,
    env: environmentHandles(trx),
    notify: async (channel, payload) => {
      await sql`select pg_notify(${channel}, ${payload})`.execute(trx);
    },
  };
}

/**
 * The prepared-statement name of a statement's text: a digest, so one text has one name on every connection. Texts seen
 * beyond a bound go unnamed (parsed each time), so a statement whose text varies without limit cannot grow every
 * connection's set of prepared statements without limit.
 */
const preparedNames = new Map<string, string>();
const maxPreparedNames = 500;
function preparedName(text: string): string | undefined {
  let name = preparedNames.get(text);
  if (name === undefined && preparedNames.size < maxPreparedNames) {
    name = `pik_${createHash('sha256').update(text).digest('base64url').slice(0, 24)}`;
    preparedNames.set(text, name);
  }
  return name;
}

function wrap(
  kind: Database['kind'],
  pool: pg.Pool,
  listen: Database['listen'],
  closeExtra: () => Promise<void>,
  isListening: () => boolean = () => true,
): Database {
  const core = new Kysely<CoreTables>({ dialect: new PostgresDialect({ pool }) });
  // PGlite is one process's own database (the data directory is locked): nobody else to tell.
  const notifyOthers = kind === 'postgres' ? async (environment: Environment) => void (await pool.query('select pg_notify($1, $2)', [outboxChannel, environment])) : undefined;
  return {
    kind,
    pool,
    core,
    outbox: new OutboxSignal(notifyOthers),
    env: environmentHandles(core),
    beginTransaction: async () => {
      const trx = await core.startTransaction().execute();
      return {
        tx: makeTx(trx),
        commit: async () => {
          await trx.commit().execute();
        },
        rollback: async () => {
          await trx.rollback().execute();
        },
      };
    },
    commitAlone: async (statement, { prepared = true } = {}) => {
      const compiled = statement.compile(core);
      // On PostgreSQL as a named prepared statement: the same few statement shapes come again and again (a transfer with
      // or without a reference, …), so each connection parses and plans each once instead of on every request. A group
      // commit's text changes with its composition: not worth a name.
      if (kind === 'postgres') await pool.query({ name: prepared ? preparedName(compiled.sql) : undefined, text: compiled.sql, values: compiled.parameters as unknown[] });
      else await core.executeQuery(compiled);
    },
    listen,
    isListening,
    close: async () => {
      await core.destroy(); // ends the pool
      await closeExtra();
    },
  };
}

/** The embedded database. `dataDir` undefined means in memory; `loadDataDir` clones a dump (tests). */
/**
 * PGlite's WebAssembly (9 MB), compiled once per process and shared by every PGlite it opens: PGlite would otherwise
 * compile it again for each — most of the cost of opening one, which tests and tools that open several pay each time.
 */
let pgliteModule: Promise<WebAssembly.Module> | undefined;
function compiledPglite(): Promise<WebAssembly.Module> {
  // V8 runs it with its baseline compiler (Liftoff) only, as the tests do (scripts/run-tests.mjs): the optimising tier
  // recompiles PostgreSQL's hot functions in the background, which took half of a start's CPU in opening PGlite
  // (1.0 → 0.55 CPU-seconds) and, measured on this 2-core machine, made queries no faster afterwards (1,500 upserts and
  // selects: 1.2 s with Liftoff only, 1.6–2.4 s with tiering). Set before the first WebAssembly is compiled.
  if (!pgliteModule) v8.setFlagsFromString('--liftoff-only');
  pgliteModule ??= fs.promises.readFile(new URL('./pglite.wasm', import.meta.resolve('@electric-sql/pglite'))).then((bytes) => WebAssembly.compile(bytes));
  return pgliteModule;
}

export async function openPglite(options: { dataDir?: string; loadDataDir?: Blob } = {}): Promise<Database> {
  const pglite = await PGlite.create({ dataDir: options.dataDir, loadDataDir: options.loadDataDir, pgliteWasmModule: await compiledPglite() });
  const pool = new pg.Pool(createPgConfig(pglite) as unknown as pg.PoolConfig);
  guardConnections(pool);
  const listen: Database['listen'] = async (channel, onMessage) => pglite.listen(channel, onMessage);
  const database = wrap('pglite', pool, listen, () => pglite.close());
  return { ...database, dumpDataDir: async (compression = 'none') => (await pglite.dumpDataDir(compression)) as Blob };
}

/**
 * Every connection of the pool gets an error listener for its whole life. pg-pool listens for errors only while a
 * connection is idle; one checked out for a transaction and waiting between statements when its server goes away
 * (stopped, failed over, pg_terminate_backend) would otherwise emit an unhandled 'error' and end the process. With
 * this, the statement in flight (or the next one) fails, the unit of work rolls back, the pool drops the connection
 * (pg-pool discards a client that is no longer queryable on release) and the request answers 503
 * (isDatabaseUnavailable, src/db/errors.ts).
 */
function guardConnections(pool: pg.Pool): void {
  // An idle connection that the server closes: the pool discards it, and the next query opens a fresh one.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => {
    client.on('error', () => undefined);
  });
}

export async function openPostgres(connectionString: string, poolSize = 10): Promise<Database> {
  // keepAlive: a server that vanished without closing its sockets (a failover, a dead host) is noticed by TCP.
  // connectionTimeoutMillis: a request waits at most this long for a connection (an unreachable server, or a pool
  // whose every connection is busy) and is answered 503 instead of waiting without end.
  const pool = new pg.Pool({ connectionString, max: poolSize, keepAlive: true, connectionTimeoutMillis: 10_000 });
  guardConnections(pool);
  // Fail fast with a clear error when the server is unreachable (main.ts waits for it first: waitForPostgres).
  const probe = await pool.connect();
  probe.release();
  const subscriptions = new Set<{ connected: boolean }>();
  const listen: Database['listen'] = async (channel, onMessage, onGap) => listenWithReconnect(connectionString, channel, onMessage, onGap, subscriptions);
  return wrap('postgres', pool, listen, async () => undefined, () => [...subscriptions].every((s) => s.connected));
}

/** Backoff between attempts to reach the database: 250 ms doubling to `maxMs`, with jitter so processes do not march in step. */
export function backoffMs(attempt: number, maxMs = 5000): number {
  const base = Math.min(maxMs, 250 * 2 ** Math.min(attempt, 5));
  return Math.round(base * (0.75 + Math.random() * 0.5));
}

/**
 * At start, before anything else touches the database: waits until PostgreSQL accepts a connection and answers a
 * query, retrying with backoff for up to `waitMs` (PIK_DB_WAIT_SECONDS), and says what it waits for through `log`.
 * Errors that waiting cannot cure (a wrong password, a database that does not exist) end the wait at once.
 */
export async function waitForPostgres(connectionString: string, waitMs: number, log: (message: string) => void): Promise<void> {
  const started = Date.now();
  for (let attempt = 0; ; attempt++) {
    const client = new pg.Client({ connectionString, connectionTimeoutMillis: 5000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('select 1');
      if (attempt > 0) log(`the database is reachable after ${((Date.now() - started) / 1000).toFixed(1)} s`);
      return;
    } catch (error) {
      const elapsed = Date.now() - started;
      if (!isDatabaseUnavailable(error) || elapsed >= waitMs) {
        if (isDatabaseUnavailable(error)) {
          throw new Error(`the database at ${redactUrl(connectionString)} did not become reachable within ${Math.round(waitMs / 1000)} s (PIK_DB_WAIT_SECONDS): ${describe(error)}`);
        }
        throw error;
      }
      const pause = Math.min(backoffMs(attempt), Math.max(0, waitMs - elapsed));
      log(`waiting for the database at ${redactUrl(connectionString)} (${describe(error)}); next attempt in ${(pause / 1000).toFixed(1)} s, giving up after ${Math.round(waitMs / 1000)} s`);
      await new Promise((resolve) => setTimeout(resolve, pause));
    } finally {
      await client.end().catch(() => undefined);
    }
  }
}

/** The URL without its password, for messages. */
function redactUrl(connectionString: string): string {
  try {
    const url = new URL(connectionString);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return 'DATABASE_URL';
  }
}

function describe(error: unknown): string {
  const e = error as { code?: unknown; message?: unknown } | null;
  const message = typeof e?.message === 'string' && e.message !== '' ? e.message : String(error);
  return typeof e?.code === 'string' && !message.includes(e.code) ? `${e.code}: ${message}` : message;
}

/**
 * A dedicated connection for LISTEN. If it drops, notifications sent meanwhile are lost, so onGap lets caches throw
 * away what they hold; it reconnects by itself with backoff (250 ms doubling to 2 s) for as long as it takes, and
 * onGap runs again once it is back (what was published between the two is unknown too). A first connection that
 * fails does not fail the caller: it is retried the same way, and `subscription.connected` says where it stands.
 */
async function listenWithReconnect(
  connectionString: string,
  channel: string,
  onMessage: Notification,
  onGap: (() => void) | undefined,
  subscriptions: Set<{ connected: boolean }>,
): Promise<() => Promise<void>> {
  let client: pg.Client | undefined;
  let stopped = false;
  let retryTimer: NodeJS.Timeout | undefined;
  let failures = 0;
  const subscription = { connected: false };
  subscriptions.add(subscription);

  const connect = async (): Promise<void> => {
    const next = new pg.Client({ connectionString, keepAlive: true, connectionTimeoutMillis: 5000 });
    next.on('notification', (msg) => {
      if (msg.channel === channel && msg.payload !== undefined) onMessage(msg.payload);
    });
    let isLost = false;
    const lost = (): void => {
      if (isLost || stopped) return;
      isLost = true;
      if (client === next) client = undefined;
      subscription.connected = false;
      onGap?.();
      next.removeAllListeners('error');
      next.on('error', () => undefined);
      void next.end().catch(() => undefined);
      retryTimer = setTimeout(() => void connect().catch(() => undefined), backoffMs(failures++, 2000));
    };
    next.on('error', lost);
    next.on('end', lost);
    client = next;
    try {
      await next.connect();
      await next.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
    } catch (error) {
      lost();
      throw error;
    }
    if (stopped) {
      await next.end().catch(() => undefined);
      return;
    }
    // Back after a loss: what was published while it was away is unknown, so the caches drop everything again.
    if (failures > 0) onGap?.();
    failures = 0;
    subscription.connected = true;
  };

  await connect().catch(() => undefined);
  return async () => {
    stopped = true;
    subscriptions.delete(subscription);
    if (retryTimer) clearTimeout(retryTimer);
    await client?.end().catch(() => undefined);
  };
}
