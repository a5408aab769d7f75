// What domain functions need from the outside world; passed in, so routes, the CLI, workers and tests share them.
import type { Config } from '../config.ts';
import type { Database } from '../db/database.ts';
import type { InvalidationBus } from '../db/invalidation.ts';
import type { AccountDirectory } from '../db/account-directory.ts';
import type { DataKeyring } from '../lib/sealed.ts';
import type { RateSource } from './fx/rate-source.ts';

export interface Deps {
  db: Database;
  invalidation: InvalidationBus;
  directory: AccountDirectory;
  config: Pick<Config, 'publicUrl' | 'environments' | 'sandboxSettleDelayMs' | 'idempotencyClaimTtlMs' | 'idempotencyLeaseMs' | 'webhooks' | 'fx'>;
  now: () => Date;
  /** Seals and opens identity data at rest (src/db/sealed-columns.ts lists the columns). */
  dataKeys: DataKeyring;
  /** Where FX mid rates come from; unset: the operator's rate table (src/domain/fx/rate-source.ts). */
  fxRates?: RateSource;
}
