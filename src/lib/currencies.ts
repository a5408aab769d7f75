// The currency catalogue: the one place to add a currency. Amount parsing and formatting, payout rules, receiving
// addresses, sandbox funding, OpenAPI enums, CLI help and the database's currency CHECK constraints all derive from it.
import { listWithOr } from './words.ts';

/** How money leaves PIK: the payout `destination_type`s. */
export const payoutRails = ['bank_account', 'crypto_address'] as const;
export type PayoutRail = (typeof payoutRails)[number];

/** Blockchain networks PIK sends and receives crypto on. */
export const networks = ['solana'] as const;
export type Network = (typeof networks)[number];

interface CurrencyEntry {
  /** Minor units per major unit, as a power of ten: 2 for cents, 6 for stablecoins (spec §2); 1 to 18. */
  decimals: number;
  /** The smallest amount one movement may carry, in minor units (1: one cent, one millionth). */
  minimumMinorUnits: bigint;
  /** The payout destination types this currency can be paid out to; empty: it cannot be paid out. */
  payoutRails: readonly PayoutRail[];
  /** Networks an account gets a receiving address on, and crypto payouts go out on; empty for fiat. */
  networks: readonly Network[];
  /** The smallest and largest amount one FX conversion may sell or buy in this currency, in minor units (docs/fx.md). */
  conversion: { minimumMinorUnits: bigint; maximumMinorUnits: bigint };
}

/** In the order the API lists balances. */
export const currencyCatalogue = {
  AUD: { decimals: 2, minimumMinorUnits: 1n, payoutRails: ['bank_account'], networks: [], conversion: { minimumMinorUnits: 1_00n, maximumMinorUnits: 1_000_000_00n } },
  USD: { decimals: 2, minimumMinorUnits: 1n, payoutRails: ['bank_account'], networks: [], conversion: { minimumMinorUnits: 1_00n, maximumMinorUnits: 1_000_000_00n } },
  HKD: { decimals: 2, minimumMinorUnits: 1n, payoutRails: ['bank_account'], networks: [], conversion: { minimumMinorUnits: 10_00n, maximumMinorUnits: 10_000_000_00n } },
  SGD: { decimals: 2, minimumMinorUnits: 1n, payoutRails: ['bank_account'], networks: [], conversion: { minimumMinorUnits: 1_00n, maximumMinorUnits: 1_000_000_00n } },
  USDT: {
    decimals: 6,
    minimumMinorUnits: 1n,
    payoutRails: ['crypto_address'],
    networks: ['solana'],
    conversion: { minimumMinorUnits: 1_000000n, maximumMinorUnits: 1_000_000_000000n },
  },
  USDC: {
    decimals: 6,
    minimumMinorUnits: 1n,
    payoutRails: ['crypto_address'],
    networks: ['solana'],
    conversion: { minimumMinorUnits: 1_000000n, maximumMinorUnits: 1_000_000_000000n },
  },
} as const satisfies Record<string, CurrencyEntry>;

export type Currency = keyof typeof currencyCatalogue;
/** Currencies that move on a blockchain network (they have receiving addresses). */
export type NetworkCurrency = {
  [C in Currency]: (typeof currencyCatalogue)[C]['networks'] extends readonly [] ? never : C;
}[Currency];

export const currencies = Object.keys(currencyCatalogue) as readonly Currency[];

export function isCurrency(value: unknown): value is Currency {
  return typeof value === 'string' && Object.hasOwn(currencyCatalogue, value);
}

export function decimalsOf(currency: Currency): number {
  return currencyCatalogue[currency].decimals;
}

/** The currencies a payout rail pays out, in catalogue order. */
export function currenciesPaidOutBy(rail: PayoutRail): Currency[] {
  return currencies.filter((c) => (currencyCatalogue[c].payoutRails as readonly PayoutRail[]).includes(rail));
}

/** The currencies that move on a network, in catalogue order. */
export function currenciesOn(network: Network): NetworkCurrency[] {
  return currencies.filter((c): c is NetworkCurrency => (currencyCatalogue[c].networks as readonly Network[]).includes(network));
}

/** "AUD, USD, HKD, SGD, USDT or USDC": the codes as a description or a message says them. */
export function describeCurrencies(codes: readonly Currency[] = currencies): string {
  return listWithOr(codes);
}
