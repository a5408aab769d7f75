// FX for the account in scope: indicative rates, locked single-use quotes, and conversions (one atomic movement
// between the wallet and PIK's FX position, in two currencies). The one capability gate is fx_conversion.
import type { EnvDb, FxConversionRow, FxQuoteRow } from '../../db/schema.ts';
import type { UnitOfWork } from '../../db/unit-of-work.ts';
import type { OperatorActor, Scope } from '../../lib/actor.ts';
import type { Environment } from '../../lib/environments.ts';
import { ApiError } from '../../lib/errors.ts';
import { formatRate, parseScaledRate } from '../../lib/fx-math.ts';
import { newId } from '../../lib/ids.ts';
import { formatMinor } from '../../lib/money.ts';
import { currencies, type Currency } from '../../lib/currencies.ts';
import { requireCapability, requireCapabilityQueued } from '../accounts/capability-gate.ts';
import { statementsFor } from '../../db/statements.ts';
import { isUniqueViolation } from '../../db/errors.ts';
import type { Deps } from '../deps.ts';
import { recordEvent } from '../events.ts';
import { clearing, decideConversion } from '../ledger/decisions.ts';
import { clearingBalances, insertTransactions, postMovement } from '../ledger/ledger.ts';
import { claimReference, parseReference } from '../ledger/references.ts';
import { decodeCursor, toPage, type Page, type PageRequest } from '../paging.ts';
import { parseConversionType, parseFixedAmount, parsePair, priceWithinLimits, ratesUnavailable, resolveRate, type FixedAmount, type Pair } from './pricing.ts';
import { rateSourceOf } from './rate-source.ts';

export interface AmountInput {
  sellCurrency: unknown;
  buyCurrency: unknown;
  sellAmount?: unknown;
  buyAmount?: unknown;
}

async function currentRate(deps: Deps, db: EnvDb, scope: Scope, pair: Pair): Promise<{ rate: bigint; asOf: Date }> {
  const table = await rateSourceOf(deps).midRates(db, scope.environment);
  const resolution = resolveRate(table, pair, deps.now(), deps.config.fx.maxRateAgeMs);
  if (!resolution.ok) throw ratesUnavailable(pair, resolution);
  return resolution;
}

export interface IndicativeRate {
  pair: Pair;
  rate: bigint;
  asOf: Date;
  amounts: { sellMinor: bigint; buyMinor: bigint } | null;
}

/** GET /fx/rates: the rate now, and both amounts when one was given (not locked: a quote locks it). */
export async function getIndicativeRate(deps: Deps, scope: Scope, input: AmountInput): Promise<IndicativeRate> {
  const pair = parsePair(input.sellCurrency, input.buyCurrency);
  const fixed = input.sellAmount === undefined && input.buyAmount === undefined ? null : parseFixedAmount(pair, input);
  const db = deps.db.env(scope.environment);
  await requireCapability(db, scope, 'fx_conversion');
  const { rate, asOf } = await currentRate(deps, db, scope, pair);
  return { pair, rate, asOf, amounts: fixed ? priceWithinLimits(pair, rate, fixed) : null };
}

/** POST /fx/quotes: the current rate and both amounts, locked for PIK_FX_QUOTE_TTL_SECONDS, for the account in scope only. */
export async function createQuote(deps: Deps, work: UnitOfWork, scope: Scope, input: AmountInput): Promise<FxQuoteRow> {
  const pair = parsePair(input.sellCurrency, input.buyCurrency);
  const fixed = parseFixedAmount(pair, input);
  // The gate first (before any rate is looked at), as a queued check; the rates are read before the unit's
  // transaction begins (the quote itself is a queued write), so on PGlite the outer handle is free.
  await requireCapabilityQueued(deps, work, scope, 'fx_conversion');
  const { rate } = await currentRate(deps, deps.db.env(scope.environment), scope, pair);
  const amounts = priceWithinLimits(pair, rate, fixed);
  const now = deps.now();
  const row: FxQuoteRow = {
    id: newId('quote'),
    platform_id: scope.platformId,
    account_id: scope.accountId,
    sell_currency: pair.sell,
    buy_currency: pair.buy,
    sell_amount: amounts.sellMinor,
    buy_amount: amounts.buyMinor,
    fixed_side: fixed.side,
    rate: formatRate(rate),
    status: 'active',
    conversion_id: null,
    expires_at: new Date(now.getTime() + deps.config.fx.quoteTtlMs),
    created_at: now,
    used_at: null,
  };
  work.write({ statement: statementsFor(scope.environment).insertInto('fx_quotes').values(row) });
  return row;
}

export type QuoteStatus = 'active' | 'used' | 'expired';

/** A quote as the API shows its status: stored active/used, and active past its expiry reads as expired. */
export function quoteStatus(quote: Pick<FxQuoteRow, 'status' | 'expires_at'>, now: Date): QuoteStatus {
  if (quote.status === 'used') return 'used';
  return quote.expires_at.getTime() <= now.getTime() ? 'expired' : 'active';
}

/** Another account's quote (the platform's own included, from a connected account's scope, and the reverse) is not found. */
export async function getQuote(deps: Deps, scope: Scope, quoteId: string): Promise<FxQuoteRow> {
  const db = deps.db.env(scope.environment);
  await requireCapability(db, scope, 'fx_conversion');
  const quote = await db.selectFrom('fx_quotes').selectAll().where('id', '=', quoteId).where('account_id', '=', scope.accountId).executeTakeFirst();
  if (!quote) throw new ApiError('QUOTE_NOT_FOUND', undefined, { quote_id: quoteId });
  return quote;
}

export interface CreateConversionInput extends AmountInput {
  conversionType: unknown;
  quoteId?: unknown;
  reference?: string | undefined;
}

/** QUOTE_MISMATCH naming the first field of the body that disagrees with the quote. */
function assertMatchesQuote(quote: FxQuoteRow, pair: Pair, fixed: FixedAmount): void {
  const expected: [string, string, string][] = [
    ['sell_currency', quote.sell_currency, pair.sell],
    ['buy_currency', quote.buy_currency, pair.buy],
  ];
  const quotedSide = quote.fixed_side === 'sell' ? 'sell_amount' : 'buy_amount';
  const quotedAmount = quote.fixed_side === 'sell' ? formatMinor(quote.sell_amount, quote.sell_currency) : formatMinor(quote.buy_amount, quote.buy_currency);
  for (const [field, want, got] of expected) {
    if (want !== got) throw new ApiError('QUOTE_MISMATCH', `${field} must be ${want}, as in the quote.`, { field, quote_id: quote.id, expected: want });
  }
  const sentSide = fixed.side === 'sell' ? 'sell_amount' : 'buy_amount';
  const sentMinor = fixed.side === 'sell' ? quote.sell_amount : quote.buy_amount;
  if (sentSide !== quotedSide || fixed.minor !== sentMinor) {
    throw new ApiError('QUOTE_MISMATCH', `The quote fixed ${quotedSide} at ${quotedAmount}; send exactly that.`, { field: quotedSide, quote_id: quote.id, expected: quotedAmount });
  }
}

/** The quote of the account in scope, usable now: QUOTE_NOT_FOUND, QUOTE_ALREADY_USED or QUOTE_EXPIRED otherwise. */
async function usableQuote(db: EnvDb, scope: Scope, quoteId: string, now: Date): Promise<FxQuoteRow> {
  const quote = await db.selectFrom('fx_quotes').selectAll().where('id', '=', quoteId).where('account_id', '=', scope.accountId).executeTakeFirst();
  if (!quote) throw new ApiError('QUOTE_NOT_FOUND', undefined, { quote_id: quoteId });
  if (quote.status === 'used') throw quoteAlreadyUsed(quoteId, quote.conversion_id);
  if (quoteStatus(quote, now) === 'expired') throw new ApiError('QUOTE_EXPIRED', undefined, { quote_id: quoteId, expires_at: quote.expires_at.toISOString() });
  return quote;
}

const quoteAlreadyUsed = (quoteId: string, conversionId: string | null) => new ApiError('QUOTE_ALREADY_USED', undefined, { quote_id: quoteId, conversion_id: conversionId });

/**
 * Uses the quote for this conversion, once. The read before (usableQuote) gives the precise answer; the guarded UPDATE
 * decides, queued with the conversion's other writes: of concurrent conversions with one quote, the others wait for
 * the first's row lock and then find it used (READ COMMITTED re-checks the status), so their statement returns no row
 * and the whole unit of work fails with QUOTE_ALREADY_USED — the read was made at the same `now`, so the quote cannot
 * have expired in between. The unique index on fx_conversions.quote_id backs it up. If the conversion fails
 * (insufficient balance), nothing of the unit commits and the quote stays active.
 */
function useQuote(work: UnitOfWork, scope: Scope, quoteId: string, conversionId: string, now: Date): void {
  work.write({
    statement: statementsFor(scope.environment)
      .updateTable('fx_quotes')
      .set({ status: 'used', conversion_id: conversionId, used_at: now })
      .where('id', '=', quoteId)
      .where('account_id', '=', scope.accountId)
      .where('status', '=', 'active')
      .where('expires_at', '>', now)
      .returning('id'),
    expectRows: { count: 1, otherwise: () => quoteAlreadyUsed(quoteId, null) },
  });
}

export async function createConversion(deps: Deps, work: UnitOfWork, scope: Scope, input: CreateConversionInput): Promise<FxConversionRow> {
  const pair = parsePair(input.sellCurrency, input.buyCurrency);
  const fixed = parseFixedAmount(pair, input);
  const kind = parseConversionType(input.conversionType, input.quoteId);
  const reference = parseReference(input.reference);
  const id = newId('conversion');
  const now = deps.now();
  const accountId = scope.accountId;
  // The gate first, queued under FOR SHARE: fx_conversion cannot be switched off between this check and the commit.
  await requireCapabilityQueued(deps, work, scope, 'fx_conversion');
  // The reads (the quote, or the rate table) come before the unit's transaction begins: every write below is queued
  // and reaches the database as one statement (UnitOfWork.write), so on PGlite the outer handle is free here.
  const db = deps.db.env(scope.environment);
  let rate: bigint;
  let amounts: { sellMinor: bigint; buyMinor: bigint };
  if (kind.type === 'quote') {
    const quote = await usableQuote(db, scope, kind.quoteId, now);
    assertMatchesQuote(quote, pair, fixed);
    rate = parseScaledRate(quote.rate);
    amounts = { sellMinor: quote.sell_amount, buyMinor: quote.buy_amount };
    useQuote(work, scope, kind.quoteId, id, now);
  } else {
    rate = (await currentRate(deps, db, scope, pair)).rate;
    amounts = priceWithinLimits(pair, rate, fixed);
  }
  claimReference(work, scope.environment, accountId, reference, id, now);
  postMovement(work, scope.environment, id, decideConversion({ accountId, sellCurrency: pair.sell, sellAmount: amounts.sellMinor, buyCurrency: pair.buy, buyAmount: amounts.buyMinor }), now);
  const shownRate = formatRate(rate);
  const quoteId = kind.type === 'quote' ? kind.quoteId : null;
  const counterparty = { type: 'fx_conversion', conversion_id: id, sell_currency: pair.sell, buy_currency: pair.buy, rate: shownRate };
  insertTransactions(
    work,
    scope.environment,
    [
      { platformId: scope.platformId, accountId, movementId: id, type: 'fx_conversion', currency: pair.sell, amount: -amounts.sellMinor, status: 'settled', reference, counterparty },
      { platformId: scope.platformId, accountId, movementId: id, type: 'fx_conversion', currency: pair.buy, amount: amounts.buyMinor, status: 'settled', reference, counterparty },
    ],
    now,
  );
  const row: FxConversionRow = {
    id,
    platform_id: scope.platformId,
    account_id: accountId,
    sell_currency: pair.sell,
    buy_currency: pair.buy,
    sell_amount: amounts.sellMinor,
    buy_amount: amounts.buyMinor,
    rate: shownRate,
    conversion_type: kind.type,
    quote_id: quoteId,
    reference,
    created_at: now,
  };
  work.write({
    statement: statementsFor(scope.environment).insertInto('fx_conversions').values(row),
    // the backstop of single use: a second conversion of one quote that got past the guarded update
    translate: (error) => (quoteId !== null && isUniqueViolation(error, 'fx_conversions_quote_id_key') ? quoteAlreadyUsed(quoteId, null) : undefined),
  });
  await recordEvent(work, scope.environment, {
    platformId: scope.platformId,
    accountId,
    type: 'conversion.completed',
    data: {
      id,
      account_id: accountId,
      sell_currency: pair.sell,
      buy_currency: pair.buy,
      sell_amount: formatMinor(amounts.sellMinor, pair.sell),
      buy_amount: formatMinor(amounts.buyMinor, pair.buy),
      rate: shownRate,
      conversion_type: kind.type,
      quote_id: quoteId,
      reference,
    },
  });
  return row;
}

/** Platform scope reads any conversion of the platform; x-on-behalf-of only that account's. */
export async function getConversion(deps: Deps, scope: Scope, conversionId: string): Promise<FxConversionRow> {
  const db = deps.db.env(scope.environment);
  await requireCapability(db, scope, 'fx_conversion');
  let query = db.selectFrom('fx_conversions').selectAll().where('id', '=', conversionId).where('platform_id', '=', scope.platformId);
  if (!scope.isPlatformScope) query = query.where('account_id', '=', scope.accountId);
  const row = await query.executeTakeFirst();
  if (!row) throw new ApiError('CONVERSION_NOT_FOUND', undefined, { conversion_id: conversionId });
  return row;
}

/** The conversions of the account in scope, newest first. */
export async function listConversions(deps: Deps, scope: Scope, page: PageRequest): Promise<Page<FxConversionRow>> {
  const db = deps.db.env(scope.environment);
  await requireCapability(db, scope, 'fx_conversion');
  const after = decodeCursor(page.cursor, 'conversion');
  let query = db.selectFrom('fx_conversions').selectAll().where('account_id', '=', scope.accountId);
  if (after) query = query.where('id', '<', after);
  return toPage(await query.orderBy('id', 'desc').limit(page.limit + 1).execute(), page.limit);
}

/**
 * PIK's FX position per currency in an environment, for the operator: what conversions sold to PIK (positive) less
 * what they bought from it, the sum of the position's entries (it keeps no balance row).
 */
export async function readFxPositions(deps: Deps, _actor: OperatorActor, environment: Environment): Promise<{ currency: Currency; position: bigint }[]> {
  const balances = await clearingBalances(deps.db.env(environment));
  const byCurrency = new Map(balances.filter((b) => b.ledgerAccount === clearing.fx).map((b) => [b.currency, b.available]));
  return currencies.map((currency) => ({ currency, position: byCurrency.get(currency) ?? 0n }));
}
