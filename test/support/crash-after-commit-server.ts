// A real server process for crash tests: a request sent with `x-test-crash: after-commit` kills the process with
// SIGKILL the moment its unit of work has committed, before a byte of the response is written.
import { AsyncLocalStorage } from 'node:async_hooks';
import path from 'node:path';
import { buildApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { lockDataDir } from '../../src/db/data-dir-lock.ts';
import { loadDataKeyring } from '../../src/db/data-keys.ts';
import { openPglite, openPostgres, type Database } from '../../src/db/database.ts';
import { migrate } from '../../src/db/migrate.ts';
import { createLogger } from '../../src/logger.ts';
import { createServices } from '../../src/services.ts';

const config = loadConfig();
const operatorToken = process.env.PIK_OPERATOR_TOKEN;
if (!operatorToken) throw new Error('set PIK_OPERATOR_TOKEN');
if (!config.databaseUrl) lockDataDir(config.dataDir);
const db = config.databaseUrl ? await openPostgres(config.databaseUrl) : await openPglite({ dataDir: path.join(config.dataDir, 'pgdata') });
await migrate(db);

// Marks the requests that must crash. Entered in a 'request' listener that runs before Fastify's, so everything Fastify
// does for that request (and only for it: not the background settler's commits) sees the mark.
const crashing = new AsyncLocalStorage<true>();
const crashAfterCommit: Database = {
  ...db,
  beginTransaction: async () => {
    const open = await db.beginTransaction();
    return {
      ...open,
      commit: async () => {
        await open.commit();
        if (crashing.getStore()) process.kill(process.pid, 'SIGKILL');
      },
    };
  },
  // A unit of work made only of queued writes commits as one statement: the crash comes right after it, the same way.
  commitAlone: async (statement, options) => {
    await db.commitAlone(statement, options);
    if (crashing.getStore()) process.kill(process.pid, 'SIGKILL');
  },
};

const dataKeys = loadDataKeyring(config);
const logger = createLogger(config.logLevel, { secrets: [operatorToken, ...dataKeys.secrets] });
const services = await createServices(config, crashAfterCommit, logger, operatorToken, dataKeys.keyring);
const app = await buildApp(services);
app.server.prependListener('request', (request) => {
  if (request.headers['x-test-crash'] === 'after-commit') crashing.enterWith(true);
});
await app.listen({ port: config.port, host: config.host });
const address = app.server.address();
process.stdout.write(`PIK is listening on http://${config.host}:${typeof address === 'object' && address ? address.port : config.port}\n`);
