// Receiving details as the API shows them: bank details for AUD, an address per stablecoin.
import Type from 'typebox';
import type { ReceivingDetails } from '../../domain/accounts/receiving-details.ts';
import { currenciesOn, networks } from '../../lib/currencies.ts';
import { stringEnum } from '../schemas.ts';

export const ReceivingDetailsSchema = Type.Object(
  {
    object: Type.Literal('receiving_details'),
    account_id: Type.String(),
    aud: Type.Union([
      Type.Object({
        currency: Type.Literal('AUD'),
        bsb: Type.String(),
        account_number: Type.String(),
        account_name: Type.String(),
        virtual_account_id: Type.String(),
      }),
      Type.Null(),
    ]),
    aud_note: Type.Union([Type.String(), Type.Null()]),
    crypto: Type.Array(
      Type.Object({ currency: stringEnum(currenciesOn('solana')), network: stringEnum(networks), address: Type.String() }),
    ),
  },
  { $id: 'ReceivingDetails' },
);

export function serializeReceivingDetails(details: ReceivingDetails) {
  return {
    object: 'receiving_details' as const,
    account_id: details.accountId,
    aud: details.aud
      ? {
          currency: 'AUD' as const,
          bsb: details.aud.bsb,
          account_number: details.aud.accountNumber,
          account_name: details.aud.accountName,
          virtual_account_id: details.aud.virtualAccountId,
        }
      : null,
    aud_note: details.aud
      ? null
      : `No AUD virtual account yet: issue one with POST /api/v1/accounts/${details.accountId}/virtual-account to receive AUD bank transfers.`,
    crypto: details.crypto.map((row) => ({ currency: row.currency, network: row.network, address: row.address })),
  };
}
