// Where third parties can pay an account: its AUD virtual account (once issued) and its USDT/USDC Solana addresses.
import { createHash } from 'node:crypto';
import type { Environment } from '../../lib/environments.ts';
import type { EnvDb, ReceivingAddressRow } from '../../db/schema.ts';
import { currenciesOn, type NetworkCurrency } from '../../lib/currencies.ts';
import { encodeBase58 } from '../../lib/base58.ts';
import type { Scope } from '../../lib/actor.ts';
import type { Deps } from '../deps.ts';
import { resolvePathAccount } from './accounts.ts';
import { requireCapability } from './capability-gate.ts';
import { getVirtualAccountDetails } from '../ledger/virtual-accounts.ts';

/** Every currency the catalogue moves on Solana gets an address there. */
export const receivingCurrencies: readonly NetworkCurrency[] = currenciesOn('solana');

/** The AUD bank details of the account's virtual account (BSB, account number, account name). */
export interface AudBankDetails {
  bsb: string;
  accountNumber: string;
  accountName: string;
  virtualAccountId: string;
}

export interface ReceivingDetails {
  accountId: string;
  aud: AudBankDetails | null;
  crypto: ReceivingAddressRow[];
}

/**
 * A Solana address (32 bytes, base58) derived from the environment, account and currency: the same inputs always give
 * the same address, different accounts never share one (SHA-256 collisions aside, and the unique index guards even
 * that). A real deployment would ask its custody provider for a deposit address here instead.
 */
export function deriveSolanaAddress(environment: Environment, accountId: string, currency: NetworkCurrency): string {
  return encodeBase58(createHash('sha256').update(`pik:receiving-address:v1:${environment}:${accountId}:${currency}:solana`).digest());
}

/** The account's AUD virtual account, if one has been issued (POST /accounts/{id}/virtual-account). */
async function findAudBankDetails(deps: Deps, environment: Environment, accountId: string): Promise<AudBankDetails | null> {
  const details = await getVirtualAccountDetails(deps.db, environment, accountId);
  return details ? { bsb: details.bsb, accountNumber: details.accountNumber, accountName: details.accountName, virtualAccountId: details.id } : null;
}

/** Generated on first use and stored, so an address, once shown to a payer, never changes. */
export async function ensureReceivingAddresses(env: EnvDb, environment: Environment, accountId: string): Promise<ReceivingAddressRow[]> {
  const existing = await env.selectFrom('receiving_addresses').selectAll().where('account_id', '=', accountId).execute();
  if (existing.length < receivingCurrencies.length) {
    // Two first requests at once insert the same deterministic rows; the loser's insert simply does nothing. No
    // conflict target: the rows collide on the address index as well as the key, and PostgreSQL raises a conflict
    // on any index that is not the named target even with DO NOTHING (seen as a 500 under concurrent first reads).
    await env
      .insertInto('receiving_addresses')
      .values(
        receivingCurrencies.map((currency) => ({
          account_id: accountId,
          currency,
          network: 'solana' as const,
          address: deriveSolanaAddress(environment, accountId, currency),
        })),
      )
      .onConflict((oc) => oc.doNothing())
      .execute();
  }
  const rows = existing.length < receivingCurrencies.length
    ? await env.selectFrom('receiving_addresses').selectAll().where('account_id', '=', accountId).execute()
    : existing;
  const ordered = receivingCurrencies.flatMap((currency) => rows.filter((r) => r.currency === currency));
  // Only a collision of two accounts' derived addresses could leave one out: a fault to report, never to paper over.
  if (ordered.length !== receivingCurrencies.length) throw new Error(`receiving addresses of ${accountId} could not be stored`);
  return ordered;
}

export async function getReceivingDetails(deps: Deps, scope: Scope, accountId: string): Promise<ReceivingDetails> {
  const account = await resolvePathAccount(deps, scope, accountId);
  const env = deps.db.env(scope.environment);
  // The gate reads the account fresh: a capability switched off a moment ago is already refused here.
  await requireCapability(env, { accountId: account.id }, 'inbound_payments');
  const [aud, crypto] = [await findAudBankDetails(deps, scope.environment, account.id), await ensureReceivingAddresses(env, scope.environment, account.id)];
  return { accountId: account.id, aud, crypto };
}
