// Quickstart: a connected account from creation to its first payout, with @pik/sdk, against a sandbox.
//
//   PIK_API_KEY=pik_test_… PIK_BASE_URL=http://localhost:4000 npx tsx examples/quickstart.ts
//
// create an account → submit KYC → approve it (sandbox helper) → activate payouts → fund it with a transfer from the
// platform → pay out to a bank account → read the balances. Each step prints what it did.
import { Pik, PikError } from '@pik/sdk';

const apiKey = process.env.PIK_API_KEY;
if (!apiKey) {
  console.error('Set PIK_API_KEY to a sandbox key (pik_test_…): npm run pik -- keys create --platform acct_… --environment sandbox');
  process.exit(1);
}
const pik = new Pik({ apiKey, baseUrl: process.env.PIK_BASE_URL ?? 'http://localhost:4000' });

async function main(): Promise<void> {
  const platform = await pik.accounts.current();
  console.log(`1. Platform ${platform.id} (${platform.environment})`);

  const account = await pik.accounts.create({
    customer_type: 'individual',
    email: `jane.${Date.now()}@example.com`,
    country: 'AU',
    display_name: 'Jane Citizen',
    metadata: { crm_id: 'cus_0042' },
  });
  console.log(`2. Created connected account ${account.id} (verification: ${account.verification_status})`);

  const submitted = await pik.accounts.kyc.submit(account.id, {
    first_name: 'Jane',
    last_name: 'Citizen',
    date_of_birth: '1990-04-12',
    nationality: 'AU',
    id_type: 'passport',
    id_number: 'PA1234567',
    address: { line1: '1 George St', city: 'Sydney', state: 'NSW', postcode: '2000', country: 'AU' },
  });
  console.log(`3. Submitted KYC: ${submitted.status}`);

  const approved = await pik.sandbox.decideVerification(account.id, { status: 'approved' });
  console.log(`4. Sandbox approval: ${approved.status}`);

  await pik.accounts.capabilities.activate(account.id, 'payouts');
  const capabilities = await pik.accounts.capabilities.list(account.id);
  console.log(`5. Capabilities: ${capabilities.data.map((c) => `${c.name}=${c.status}`).join(', ')}`);

  const transfer = await pik.transfers.create({ destination_account_id: account.id, currency: 'AUD', amount: '250.00', reference: `fund-${account.id}` });
  console.log(`6. Transfer ${transfer.id}: ${transfer.amount} ${transfer.currency} from the platform to ${transfer.destination_account_id}`);

  // Acting for the connected account: its wallet, its capabilities (x-on-behalf-of).
  const jane = pik.onBehalfOf(account.id);
  const payout = await jane.payouts.create({
    currency: 'AUD',
    amount: '100.00',
    destination_type: 'bank_account',
    destination: { bsb: '062000', account_number: '12345678', account_name: 'Jane Citizen' },
    reference: `payout-${account.id}`,
  });
  console.log(`7. Payout ${payout.id}: ${payout.amount} ${payout.currency}, ${payout.status}`);
  const settled = await jane.sandbox.simulatePayout(payout.id, { status: 'completed' });
  console.log(`   Sandbox rail answered: ${settled.status}`);

  const balances = await pik.wallets.balances(account.id);
  const aud = balances.data.find((b) => b.currency === 'AUD');
  console.log(`8. Balances of ${account.id}: AUD available ${aud?.available}, pending ${aud?.pending}`);
}

main().catch((error: unknown) => {
  if (error instanceof PikError) console.error(`PIK error ${error.status ?? ''} ${error.code}: ${error.message} (request ${error.requestId ?? 'n/a'})`);
  else console.error(error);
  process.exit(1);
});
