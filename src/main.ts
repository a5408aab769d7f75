// Start: config → port → data key → database (waited for, opened while the HTTP code loads) → migrations → sealing
// data at rest → services → server; stop gracefully on SIGINT/SIGTERM (requests in flight finish within
// PIK_SHUTDOWN_GRACE_MS, buffers are flushed). `npm start` runs the compiled build of this file (dist/main.js).
import path from 'node:path';
import { loadOrCreateOperatorToken } from './auth/operator-token.ts';
import { ConfigError, loadConfig } from './config.ts';
import { lockDataDir } from './db/data-dir-lock.ts';
import { loadDataKeyring } from './db/data-keys.ts';
import { sealDataAtRest } from './db/sealed-columns.ts';
import { openPglite, openPostgres, waitForPostgres, type Database } from './db/database.ts';
import { explainPgliteStartError } from './db/pglite-errors.ts';
import { migrate } from './db/migrate.ts';
import { seedFromTemplate } from './db/pglite-template.ts';
import { explainListenError, reservePort } from './http/port.ts';
import { createLogger } from './logger.ts';

async function main(): Promise<void> {
  const config = loadConfig();
  // First, before anything slow: a port in use is reported at once, and requests during the start are answered 503.
  const reservation = config.port === 0 ? undefined : await reservePort(config.host, config.port);
  // The HTTP layer (Fastify, the routes, their schemas) loads while the database opens.
  const loading = Promise.all([import('./services.ts'), import('./app.ts')]);
  loading.catch(() => undefined); // awaited below; this only keeps an early failure from counting as unhandled meanwhile

  const operator = loadOrCreateOperatorToken(config.operatorToken, config.dataDir);
  const dataKeys = loadDataKeyring(config);
  const logger = createLogger(config.logLevel, { secrets: [operator.token, ...dataKeys.secrets] });

  let releaseLock = (): void => undefined;
  // A signal during the start (waiting for the database, migrating) ends it at once: nothing is served yet, nothing
  // buffered. Replaced by the graceful stop below once the server listens.
  let onSignal = (signal: string): void => {
    logger.info({ signal }, 'stopping before the start finished');
    releaseLock();
    process.exit(0);
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));

  let db: Database;
  // On PostgreSQL the webhook worker has two connections of its own: behind the requests' pool it would wait whenever
  // the API is busy, and deliveries would fall behind the commits they report.
  let workerDb: Database | undefined;
  if (config.databaseUrl) {
    // A server started before its database (a reboot, a compose file) waits for it rather than failing.
    await waitForPostgres(config.databaseUrl, config.dbWaitMs, (message) => logger.warn(message));
    db = await openPostgres(config.databaseUrl);
    workerDb = await openPostgres(config.databaseUrl, 2);
  } else {
    releaseLock = lockDataDir(config.dataDir);
    const pgdata = path.join(config.dataDir, 'pgdata');
    // A new data directory starts as a copy of the migrated template the build made (dist/pglite-template), not initdb.
    try {
      seedFromTemplate(pgdata);
      db = await openPglite({ dataDir: pgdata });
    } catch (error) {
      // PGlite says "Aborted()" for a full disk, a refused permission and a damaged directory alike: name the cause.
      throw explainPgliteStartError(error, pgdata);
    }
  }
  await migrate(db);
  // Before serving: plaintext left from before migration 0009 is sealed, rows of an old key move to the current one,
  // and rows under a key not configured stop the start (UnknownDataKeyError) instead of failing request by request.
  const sealing = await sealDataAtRest(db, dataKeys.keyring);
  if (sealing.sealed + sealing.resealed > 0) logger.info(sealing, 'sealed identity data at rest under the current data key');
  const [{ createServices }, { buildApp }] = await loading;
  const services = await createServices(config, db, logger, operator.token, dataKeys.keyring, { workerDb });
  const app = await buildApp(services);
  await app.ready();
  await reservation?.release();
  await app.listen({ port: config.port, host: config.host }).catch((error: unknown) => {
    throw explainListenError(error, config.host, config.port);
  });

  // What no request has needed yet is compiled in the background, from a second after the start: the first requests
  // (a health check, a newcomer's first call) are answered without it competing for the CPU.
  setTimeout(() => {
    app.compileDeferredSchemas().catch((error: unknown) => logger.error({ err: error }, 'could not compile a route schema'));
  }, 1000).unref();
  const where = config.databaseUrl ? 'PostgreSQL (DATABASE_URL)' : `embedded PGlite in ${config.dataDir}`;
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const base = `http://${config.host}:${port}`;
  const next = await nextStep(db);
  process.stdout.write(
    [
      '',
      `PIK is listening on ${base} (database: ${where}; environments: ${config.environments.join(', ')})`,
      `  API reference:   ${base}/docs`,
      `  Dashboard:       ${base}/dashboard`,
      operator.path
        ? `  Operator token:  ${operator.generated ? 'created in' : 'read from'} ${operator.path} (the CLI finds it there)`
        : '  Operator token:  from PIK_OPERATOR_TOKEN',
      dataKeys.path
        ? `  Data key:        ${dataKeys.source === 'created' ? 'created in' : 'read from'} ${dataKeys.path} (back it up with the database; key id ${dataKeys.keyring.currentKeyId})`
        : `  Data key:        from PIK_DATA_KEY (key id ${dataKeys.keyring.currentKeyId})`,
      `  Next:            ${next}`,
      '',
    ].join('\n') + '\n',
  );

  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    const graceMs = config.shutdownGraceMs;
    logger.info({ signal, grace_ms: graceMs }, 'shutting down: no new connections; requests in flight may finish');
    // Whatever hangs (a database that went away while flushing) cannot keep the process alive for ever.
    const deadline = setTimeout(() => {
      logger.error('shutdown did not finish within the grace period and 10 s more; exiting');
      releaseLock();
      process.exit(1);
    }, graceMs + 10_000);
    deadline.unref();
    // Stops accepting; closes idle keep-alive connections at once, and each busy one as soon as its answer is sent
    // (polled: Node closes only those idle when close() is called); requests arriving meanwhile on an open connection
    // get 503 SERVICE_UNAVAILABLE in our shape (framework-errors.ts). After the grace period every connection left —
    // a request still running, a body arriving slowly, a client that never sends — is closed.
    const idleSweep = setInterval(() => app.server.closeIdleConnections(), 100);
    const forced = setTimeout(() => {
      logger.warn({ grace_ms: graceMs }, 'grace period over: closing the connections still open');
      app.server.closeAllConnections();
    }, graceMs);
    let isClean = true;
    try {
      await app.close();
    } catch (error) {
      isClean = false;
      logger.error({ err: error }, 'could not close the HTTP server');
    } finally {
      clearInterval(idleSweep);
      clearTimeout(forced);
    }
    try {
      // Flushes what is buffered — API keys' last-used times, the request log — then stops the workers.
      await services.close();
      await workerDb?.close();
      await db.close();
    } catch (error) {
      isClean = false;
      logger.error({ err: error }, 'could not stop cleanly');
    } finally {
      releaseLock();
      logger.info('stopped');
      process.exit(isClean ? 0 : 1);
    }
  };
  onSignal = (signal) => void stop(signal);
}

/** The banner's last line: what a newcomer would do next with what this database holds. */
async function nextStep(db: Database): Promise<string> {
  const platforms = await db.core.selectFrom('core.platforms').select('id').orderBy('created_at').limit(2).execute();
  const only = platforms.length === 1 ? platforms[0]?.id : undefined;
  if (platforms.length === 0) return 'npm run pik -- platforms create --name "Acme Payments" --owner-email you@example.com';
  if (only === undefined) return 'several platforms exist: npm run pik -- platforms list, then keys list --platform acct_…';
  const keys = await db.core.selectFrom('core.api_keys').select('id').where('platform_id', '=', only).limit(1).execute();
  return keys.length === 0
    ? `one platform exists: npm run pik -- keys create --platform ${only} --environment sandbox`
    : `platform ${only} has API keys (npm run pik -- keys list --platform ${only}); sign in to the dashboard to see its requests`;
}

main().catch((error: unknown) => {
  const plain = ['DataDirLockedError', 'DataKeyFileError', 'UnknownDataKeyError', 'DataKeyMismatchError', 'PortUnavailableError', 'PgliteStartError'];
  if (error instanceof ConfigError || (error instanceof Error && plain.includes(error.name))) {
    process.stderr.write(`${error.message}\n`);
  } else {
    process.stderr.write(`PIK failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  }
  process.exit(1);
});
