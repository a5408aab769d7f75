// Solana Pay transfer-request URIs (https://docs.solanapay.com/spec): what a payment link's QR code holds for USDT/USDC.
import { createHash } from 'node:crypto';
import { encodeBase58 } from './base58.ts';

/** The SPL token mints of the stablecoins PIK receives (mainnet). Sandbox money is never on chain; its page says so. */
export const splTokenMints = {
  USDC: 'EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v',
  USDT: 'Es9vMFrzaCERmJfrF4H2FYD4KCoNkY11McCe8BenwNYB',
} as const;

export type SplCurrency = keyof typeof splTokenMints;

/**
 * The Solana Pay `reference` of a link: a public key (32 bytes, base58) derived from the link id, which a wallet adds
 * to the transfer as a read-only account so the transfer can be found on chain. Solana Pay's reference must be a key,
 * not text: the link's own reference travels as `memo`.
 */
export function solanaPayReference(linkId: string): string {
  return encodeBase58(createHash('sha256').update(`pik:solana-pay-reference:v1:${linkId}`).digest());
}

/** "100.000000" → "100", "12.500000" → "12.5": Solana Pay amounts are plain decimals in the token's units. */
function plainAmount(decimal: string): string {
  return decimal.includes('.') ? decimal.replace(/0+$/, '').replace(/\.$/, '') : decimal;
}

export interface TransferRequest {
  recipient: string;
  currency: SplCurrency;
  /** A decimal string; omitted for an open amount (the wallet asks the payer). */
  amount: string | null;
  linkId: string;
  /** The link's reference (the matching key), as the transfer's memo. */
  memo: string;
  label: string;
  message: string;
}

export function transferRequestUri(request: TransferRequest): string {
  const params = new URLSearchParams();
  if (request.amount !== null) params.set('amount', plainAmount(request.amount));
  params.set('spl-token', splTokenMints[request.currency]);
  params.set('reference', solanaPayReference(request.linkId));
  params.set('label', request.label);
  params.set('message', request.message);
  params.set('memo', request.memo);
  // URLSearchParams writes a space as "+"; the Solana Pay spec asks for percent-encoding (encodeURIComponent).
  return `solana:${request.recipient}?${params.toString().replace(/\+/g, '%20')}`;
}
