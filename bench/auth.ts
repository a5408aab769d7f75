// npm run bench:auth — the cost of authentication: GET /health (no key) against GET /api/v1/account with a key,
// and with a key plus x-on-behalf-of, through one server process; then revocation propagation between two
// PostgreSQL-backed processes. Prints figures and ratios from this one run.
import autocannon from 'autocannon';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { callJson, callJsonOk } from '../test/support/http-client.ts';
import { startServerProcess, type ServerProcess } from '../test/support/server-process.ts';

const operatorToken = `pikop_bench_${'b'.repeat(30)}`;
const durationSeconds = Number(process.env.BENCH_SECONDS ?? 10);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 50);


async function setUpPlatform(base: string) {
  const platform = await callJsonOk(base, 'POST', '/admin/v1/platforms', operatorToken, { name: 'Bench', owner_email: `bench-${Date.now()}@example.test` });
  const key = await callJsonOk(base, 'POST', `/admin/v1/platforms/${platform.id}/keys`, operatorToken, { environment: 'sandbox' });
  const account = await callJsonOk(base, 'POST', '/api/v1/accounts', key.secret, { customer_type: 'individual', email: 'b@example.test', country: 'AU' });
  return { platformId: platform.id as string, key: key.secret as string, keyId: key.id as string, accountId: account.id as string };
}

interface Figures {
  name: string;
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
}

async function load(name: string, url: string, headers: Record<string, string>): Promise<Figures> {
  const result = await autocannon({ url, connections, duration: durationSeconds, headers });
  return { name, rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, non2xx: result.non2xx };
}

async function throughput(label: string, databaseUrl: string): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pik-bench-'));
  const server = await startServerProcess({ PIK_DATA_DIR: dataDir, DATABASE_URL: databaseUrl, PIK_OPERATOR_TOKEN: operatorToken, PIK_RATE_LIMIT: 'off', LOG_LEVEL: 'warn' }, 120_000);
  try {
    const { key, accountId } = await setUpPlatform(server.url);
    // Warm-up so JIT and caches are in the same state for every measured run.
    await load('warm-up', `${server.url}/api/v1/account`, { authorization: `Bearer ${key}` });
    const health = await load('GET /health (no key)', `${server.url}/health`, {});
    const authed = await load('GET /api/v1/account (key)', `${server.url}/api/v1/account`, { authorization: `Bearer ${key}` });
    const obo = await load('GET /api/v1/account (key + x-on-behalf-of)', `${server.url}/api/v1/account`, {
      authorization: `Bearer ${key}`,
      'x-on-behalf-of': accountId,
    });
    console.log(`\nThroughput: ${connections} connections, ${durationSeconds} s each, one server process on ${label}`);
    console.table([health, authed, obo].map((f) => ({ run: f.name, 'req/s': Math.round(f.rps), 'p50 ms': f.p50, 'p99 ms': f.p99, non2xx: f.non2xx })));
    const ratio = authed.rps / health.rps;
    const ratioObo = obo.rps / health.rps;
    console.log(`authenticated / unauthenticated = ${ratio.toFixed(3)} (goal ≥ 0.85) ${ratio >= 0.85 ? 'MET' : 'NOT MET'}`);
    console.log(`with x-on-behalf-of / unauthenticated = ${ratioObo.toFixed(3)} (goal ≥ 0.80) ${ratioObo >= 0.8 ? 'MET' : 'NOT MET'}`);
  } finally {
    await server.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

/** A fresh database on the PostgreSQL server (DATABASE_URL, or the local default); undefined when none is reachable. */
async function createBenchDatabase(): Promise<{ url: string; drop: () => Promise<void> } | undefined> {
  const adminUrl = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
  const name = `pik_bench_${Date.now()}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  try {
    await admin.connect();
  } catch {
    return undefined;
  }
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}

async function revocation(): Promise<void> {
  const database = await createBenchDatabase();
  if (!database) {
    console.log('\nRevocation propagation: SKIPPED — PostgreSQL is not reachable (set DATABASE_URL).');
    return;
  }
  const env = { DATABASE_URL: database.url, PIK_OPERATOR_TOKEN: operatorToken, PIK_RATE_LIMIT: 'off', PIK_DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'pik-')) };
  let nodes: ServerProcess[] = [];
  try {
    const first = await startServerProcess(env);
    const second = await startServerProcess(env);
    nodes = [first, second];
    const { platformId } = await setUpPlatform(first.url);
    const samples: number[] = [];
    for (let i = 0; i < 20; i++) {
      const key = await callJsonOk(first.url, 'POST', `/admin/v1/platforms/${platformId}/keys`, operatorToken, { environment: 'sandbox' });
      if ((await callJson(second.url, 'GET', '/api/v1/account', key.secret)).status !== 200) throw new Error('key not accepted');
      await callJsonOk(first.url, 'DELETE', `/admin/v1/keys/${key.id}`, operatorToken);
      // Measured from the moment the DELETE returned (committed) to the first 401 on the other node.
      const committed = performance.now();
      while ((await callJson(second.url, 'GET', '/api/v1/account', key.secret)).status !== 401) {
        if (performance.now() - committed > 5000) throw new Error('key still accepted after 5 s');
      }
      samples.push(performance.now() - committed);
    }
    samples.sort((a, b) => a - b);
    const median = (samples[9]! + samples[10]!) / 2;
    const max = samples[19]!;
    console.log(`\nRevocation propagation between two processes on PostgreSQL, 20 deletions:`);
    console.log(`median ${median.toFixed(1)} ms, max ${max.toFixed(1)} ms (goal < 1000 ms) ${max < 1000 ? 'MET' : 'NOT MET'}`);
  } finally {
    await Promise.all(nodes.map((n) => n.stop()));
    await database.drop();
  }
}

console.log(`Machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`);
await throughput('embedded PGlite (the default)', '');
const postgres = await createBenchDatabase();
if (postgres) {
  try {
    await throughput('PostgreSQL (database in its own process)', postgres.url);
  } finally {
    await postgres.drop();
  }
} else {
  console.log('\nThroughput on PostgreSQL: SKIPPED — PostgreSQL is not reachable (set DATABASE_URL).');
}
await revocation();
