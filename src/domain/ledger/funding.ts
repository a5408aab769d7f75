// The starting balance of a new sandbox platform wallet: 100,000 of every currency, minted from sandbox funding.
import type { UnitOfWork } from '../../db/unit-of-work.ts';
import { newId } from '../../lib/ids.ts';
import { currencies, decimalsOf } from '../../lib/currencies.ts';
import { clearing, type Posting } from './decisions.ts';
import { createBalanceRows, insertTransactions, postMovement } from './ledger.ts';

export const sandboxStartingMajorUnits = 100_000n;

/** Runs inside the transaction that creates the platform, so a platform never exists without its funding. */
export async function fundSandboxPlatformWallet(work: UnitOfWork, platformId: string, now: Date): Promise<void> {
  const tx = await work.transaction();
  const movementId = newId('deposit');
  const postings: Posting[] = currencies.flatMap((currency) => {
    const amount = sandboxStartingMajorUnits * 10n ** BigInt(decimalsOf(currency));
    return [
      { ledgerAccount: clearing.sandboxFunding, currency, bucket: 'available' as const, amount: -amount },
      { ledgerAccount: platformId, currency, bucket: 'available' as const, amount },
    ];
  });
  // The wallet is new with the platform: its rows are created here, where no other transaction can name them, so that
  // postMovement finds them to lock.
  await createBalanceRows(tx.env('sandbox'), currencies.map((currency) => ({ ledgerAccount: platformId, currency })));
  postMovement(work, 'sandbox', movementId, postings, now);
  insertTransactions(
    work,
    'sandbox',
    currencies.map((currency) => ({
      platformId,
      accountId: platformId,
      movementId,
      type: 'payment_in' as const,
      currency,
      amount: sandboxStartingMajorUnits * 10n ** BigInt(decimalsOf(currency)),
      status: 'settled' as const,
      reference: 'Sandbox starting balance',
      counterparty: { type: 'sandbox_funding' },
    })),
    now,
  );
}
