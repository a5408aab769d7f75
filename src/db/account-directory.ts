// An in-memory directory of accounts, so authenticating x-on-behalf-of and GET /account cost no database round trip.
// A cache of the accounts table kept true by the invalidation bus: auth resolves scopes with it, the domain reads through it.
import type { Environment } from '../lib/environments.ts';
import type { Database } from './database.ts';
import type { InvalidationBus } from './invalidation.ts';
import type { AccountRow } from './schema.ts';

const maxEntries = 50_000;

export class AccountDirectory {
  // One map per environment, keyed by the bare id: a lookup builds no composite key string.
  private readonly entries: Record<Environment, Map<string, AccountRow>> = { sandbox: new Map(), production: new Map() };
  // Bumped on every invalidation; a load that started before a bump must not store what it read.
  private generation = 0;

  constructor(
    private readonly db: Database,
    bus: InvalidationBus,
  ) {
    bus.subscribe((message) => {
      this.generation++;
      if (message === null) for (const map of Object.values(this.entries)) map.clear();
      else if (message.kind === 'account') this.entries[message.environment].delete(message.accountId);
    });
  }

  /** The cached row, if any. Synchronous, so the hot path awaits nothing on a hit. */
  cached(environment: Environment, accountId: string): AccountRow | undefined {
    return this.entries[environment].get(accountId);
  }

  /** Drops the cached row, so the next get reads the account as last committed. */
  forget(environment: Environment, accountId: string): void {
    this.generation++;
    this.entries[environment].delete(accountId);
  }

  /** The account as last committed; undefined when it does not exist in this environment. Misses are not cached. */
  async get(environment: Environment, accountId: string): Promise<AccountRow | undefined> {
    return this.cached(environment, accountId) ?? this.load(environment, accountId);
  }

  private async load(environment: Environment, accountId: string): Promise<AccountRow | undefined> {
    const generation = this.generation;
    const row = await this.db.env(environment).selectFrom('accounts').selectAll().where('id', '=', accountId).executeTakeFirst();
    if (row && generation === this.generation) {
      const entries = this.entries[environment];
      if (entries.size >= maxEntries) entries.delete(entries.keys().next().value as string);
      entries.set(accountId, row);
    }
    return row;
  }
}
