// Health for load balancers and orchestrators: /health says the process answers (liveness); /health/ready says whether
// it can serve now (readiness) — a database round trip, the LISTEN connection that keeps caches honest, and free disk
// for the embedded database — and names what fails. Outside /api/v1: no key, no rate limit.
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { isDatabaseUnavailable, isDiskFull } from '../db/errors.ts';
import { ApiError } from '../lib/errors.ts';
import type { Services } from '../services.ts';
import { sendError } from './errors.ts';

/** A check's outcome: "ok", or a sentence naming what is wrong. */
type CheckResult = 'ok' | string;

/** The database round trip may take this long before it counts as failed (a database that hangs is not ready). */
const databaseCheckMs = 2000;

async function checkDatabase(services: Services): Promise<CheckResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<CheckResult>((resolve) => {
    timer = setTimeout(() => resolve(`no answer within ${databaseCheckMs} ms`), databaseCheckMs);
  });
  const roundTrip = services.db.pool.query('select 1').then(
    (): CheckResult => 'ok',
    (error: unknown): CheckResult => {
      const e = error as { code?: unknown; message?: unknown };
      const what = isDiskFull(error) ? 'disk full' : isDatabaseUnavailable(error) ? 'unreachable' : 'failed';
      return `${what}: ${[typeof e?.code === 'string' ? e.code : '', typeof e?.message === 'string' ? e.message : ''].filter(Boolean).join(' ')}`;
    },
  );
  try {
    return await Promise.race([roundTrip, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function checkListen(services: Services): CheckResult {
  return services.db.isListening() ? 'ok' : 'the LISTEN connection (cache invalidation, webhook wake-ups) is down; reconnecting';
}

/** Free space where PGlite writes; PostgreSQL's disk is its server's to watch (a full one shows as 53100 in `database`). */
async function checkDisk(services: Services): Promise<CheckResult | undefined> {
  if (services.db.kind !== 'pglite') return undefined;
  try {
    // The data directory, or the nearest folder above it that exists (a database in memory, in tests, has none).
    let dir = services.config.dataDir;
    while (!fs.existsSync(dir) && path.dirname(dir) !== dir) dir = path.dirname(dir);
    const stats = await fs.promises.statfs(dir);
    const free = stats.bavail * stats.bsize;
    const min = services.config.minFreeDiskBytes;
    return free >= min ? 'ok' : `${Math.floor(free / 1048576)} MB free in ${services.config.dataDir}, below PIK_MIN_FREE_DISK_MB (${Math.floor(min / 1048576)} MB)`;
  } catch (error) {
    return `cannot read the free space of ${services.config.dataDir}: ${error instanceof Error ? error.message : String(error)}`;
  }
}

export function registerHealth(app: FastifyInstance, services: Services): void {
  // Liveness: the process answers. Nothing else is checked, so an orchestrator never restarts a process for an
  // outage of the database (a restart would not cure it; the process recovers by itself once the database is back).
  app.get('/health', { schema: { hide: true } }, async () => ({ status: 'ok' }));

  app.get('/health/ready', { schema: { hide: true } }, async (request, reply) => {
    const [database, disk] = await Promise.all([checkDatabase(services), checkDisk(services)]);
    const checks: Record<string, CheckResult> = { database, listen: checkListen(services) };
    if (disk !== undefined) checks.disk = disk;
    const failing = Object.keys(checks).filter((name) => checks[name] !== 'ok');
    reply.header('cache-control', 'no-store');
    if (failing.length === 0) return { status: 'ready', checks };
    const message = `Not ready: ${failing.map((name) => `${name} (${checks[name]})`).join('; ')}.`;
    return sendError(request, reply, new ApiError('SERVICE_UNAVAILABLE', message, { failing, checks }, { retryAfterSeconds: 1 }));
  });
}
