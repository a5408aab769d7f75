// An in-memory directory of accounts, so authenticating x-on-behalf-of and GET /account cost no database round trip.
import type { Environment } from '../../config.ts';
import type { Database } from '../../db/database.ts';
import type { InvalidationBus } from '../../db/invalidation.ts';
import type { AccountRow } from '../../db/schema.ts';

const maxEntries = 50_000;

export class AccountDirectory {
  private readonly entries = new Map<string, AccountRow>();
  // Bumped on every invalidation; a load that started before a bump must not store what it read.
  private generation = 0;

  constructor(
    private readonly db: Database,
    bus: InvalidationBus,
  ) {
    bus.subscribe((message) => {
      this.generation++;
      if (message === null) this.entries.clear();
      else if (message.kind === 'account') this.entries.delete(`${message.environment}:${message.accountId}`);
    });
  }

  /** The cached row, if any. Synchronous, so the hot path awaits nothing on a hit. */
  cached(environment: Environment, accountId: string): AccountRow | undefined {
    return this.entries.get(`${environment}:${accountId}`);
  }

  /** The account as last committed; undefined when it does not exist in this environment. Misses are not cached. */
  async get(environment: Environment, accountId: string): Promise<AccountRow | undefined> {
    return this.cached(environment, accountId) ?? this.load(environment, accountId);
  }

  private async load(environment: Environment, accountId: string): Promise<AccountRow | undefined> {
    const cacheKey = `${environment}:${accountId}`;
    const generation = this.generation;
    const row = await this.db.env(environment).selectFrom('accounts').selectAll().where('id', '=', accountId).executeTakeFirst();
    if (row && generation === this.generation) {
      if (this.entries.size >= maxEntries) this.entries.delete(this.entries.keys().next().value as string);
      this.entries.set(cacheKey, row);
    }
    return row;
  }
}
