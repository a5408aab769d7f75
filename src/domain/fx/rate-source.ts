// Where mid rates come from: one RateSource interface. Today the per-environment table the operator sets
// (`pik fx rates set`); a market-data feed would be another implementation of the same interface (docs/fx.md).
import type { EnvDb, FxRateRow } from '../../db/schema.ts';
import type { Environment } from '../../lib/environments.ts';
import { invalidField } from '../../lib/errors.ts';
import { maxSpreadBps, parseMidRate } from '../../lib/fx-math.ts';
import type { OperatorActor } from '../../lib/actor.ts';
import type { UnitOfWork } from '../../db/unit-of-work.ts';
import type { InvalidationBus } from '../../db/invalidation.ts';
import type { Deps } from '../deps.ts';
import { parsePair, type MidRate } from './pricing.ts';

export interface RateSource {
  /**
   * Every mid rate of the environment (a handful of pairs; the pricing crosses the rest through USD). `db` is the
   * caller's handle on the environment — inside its transaction when it has one — for sources kept in the database;
   * a feed would answer from its own cache and ignore it.
   */
  midRates(db: EnvDb, environment: Environment): Promise<MidRate[]>;
}

const toMidRate = (row: FxRateRow): MidRate => ({ base: row.base, quote: row.quote, mid: row.mid, spreadBps: row.spread_bps, asOf: row.as_of, pinned: row.pinned });

/** The operator's table (`fx_rates` in the environment's schema). */
export const tableRateSource: RateSource = {
  async midRates(db) {
    return (await db.selectFrom('fx_rates').selectAll().execute()).map(toMidRate);
  },
};

/**
 * The operator's table, cached per environment: a conversion prices without a round trip. The table changes only
 * through setRate, which publishes `fx_rates` on the invalidation bus in its unit of work, so every process drops its
 * copy when the change commits (and everything when messages may have been lost). Staleness (PIK_FX_MAX_RATE_AGE) is
 * judged from each rate's as_of at use, so a cached table goes stale exactly as the stored one would.
 */
export class CachedTableRateSource implements RateSource {
  private readonly tables = new Map<Environment, Promise<MidRate[]>>();

  constructor(bus: InvalidationBus) {
    bus.subscribe((message) => {
      if (message === null) this.tables.clear();
      else if (message.kind === 'fx_rates') this.tables.delete(message.environment);
    });
  }

  midRates(db: EnvDb, environment: Environment): Promise<MidRate[]> {
    const cached = this.tables.get(environment);
    if (cached) return cached;
    const loading = tableRateSource.midRates(db, environment);
    this.tables.set(environment, loading);
    // A failed load is not kept. A load overtaken by an invalidation was already dropped from the map by it.
    loading.catch(() => {
      if (this.tables.get(environment) === loading) this.tables.delete(environment);
    });
    return loading;
  }
}

/** The source in use: the one the deps carry (tests, a feed), else the operator's table. */
export function rateSourceOf(deps: Pick<Deps, 'fxRates'>): RateSource {
  return deps.fxRates ?? tableRateSource;
}

export interface SetRateInput {
  pair: unknown;
  mid: unknown;
  spreadBps: unknown;
}

/**
 * The operator sets the mid rate and spread of one pair ("AUD/USD": 1 AUD = mid USD), dated now. The pair's other
 * direction, if it was set, is replaced: one row per pair, so the two directions can never disagree.
 */
export async function setRate(deps: Deps, work: UnitOfWork, _actor: OperatorActor, environment: Environment, input: SetRateInput): Promise<FxRateRow> {
  const parts = typeof input.pair === 'string' ? input.pair.split('/') : [];
  if (parts.length !== 2) throw invalidField('pair', 'pair must be two currency codes such as "AUD/USD" (1 AUD = mid USD).');
  const { sell: base, buy: quote } = parsePair(parts[0], parts[1]);
  if (typeof input.mid !== 'string' || !parseMidRate(input.mid)) {
    throw invalidField('mid', 'mid must be a positive plain decimal such as "0.6512" (up to 12 decimal places, at most 1000000).');
  }
  const spread = input.spreadBps;
  if (typeof spread !== 'number' || !Number.isInteger(spread) || spread < 0 || spread > maxSpreadBps) {
    throw invalidField('spread_bps', `spread_bps must be a whole number of basis points from 0 to ${maxSpreadBps}.`);
  }
  const now = deps.now();
  await deps.invalidation.publish(work, { kind: 'fx_rates', environment });
  const db = (await work.transaction()).env(environment);
  await db.deleteFrom('fx_rates').where('base', '=', quote).where('quote', '=', base).execute();
  return db
    .insertInto('fx_rates')
    .values({ base, quote, mid: input.mid, spread_bps: spread, as_of: now, pinned: false, set_by: 'operator' })
    .onConflict((oc) => oc.columns(['base', 'quote']).doUpdateSet({ mid: input.mid as string, spread_bps: spread, as_of: now, pinned: false, set_by: 'operator' }))
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function listRates(deps: Deps, _actor: OperatorActor, environment: Environment): Promise<FxRateRow[]> {
  return deps.db.env(environment).selectFrom('fx_rates').selectAll().orderBy('base').orderBy('quote').execute();
}
