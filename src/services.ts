// Wires the long-lived parts — database, caches, invalidation, usage batching — once, for the server and for tests.
import type { Logger } from 'pino';
import { ApiKeyCache } from './auth/key-cache.ts';
import { KeyUsageRecorder } from './auth/key-usage.ts';
import type { Config } from './config.ts';
import type { Database } from './db/database.ts';
import { InvalidationBus } from './db/invalidation.ts';
import { AccountDirectory } from './db/account-directory.ts';
import type { Deps } from './domain/deps.ts';
import { RequestLogRecorder } from './domain/request-log/request-log-recorder.ts';
import { IdempotencySweeper } from './domain/idempotency/sweeper.ts';
import { DepositSettler } from './domain/ledger/deposits.ts';
import type { DataKeyring } from './lib/sealed.ts';

export interface Services extends Deps {
  config: Config;
  logger: Logger;
  keyCache: ApiKeyCache;
  keyUsage: KeyUsageRecorder;
  requestLog: RequestLogRecorder;
  operatorToken: string;
  close(): Promise<void>;
}

export async function createServices(config: Config, db: Database, logger: Logger, operatorToken: string, dataKeys: DataKeyring): Promise<Services> {
  const invalidation = new InvalidationBus();
  await invalidation.start(db);
  const directory = new AccountDirectory(db, invalidation);
  const keyCache = new ApiKeyCache(db, invalidation);
  const deps: Deps = { db, invalidation, directory, config, now: () => new Date(), dataKeys };
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
  const sweeper = new IdempotencySweeper(deps, (error) => logger.warn({ err: error }, 'could not delete expired idempotency keys'));
  sweeper.start();
  return {
    ...deps,
    config,
    logger,
    keyCache,
    keyUsage,
    requestLog,
    operatorToken,
    close: async () => {
      sweeper.stop();
      await settler.stop();
      await keyUsage.stop();
      await requestLog.stop();
      await invalidation.close();
    },
  };
}
