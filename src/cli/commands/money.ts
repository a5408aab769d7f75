// pik deposits … and pik payouts …: the operator records inbound funds and answers payouts (the production rail).
import type { Command } from 'commander';
import { describeCurrencies } from '../../lib/currencies.ts';
import type { OperatorClient } from '../client.ts';
import { printJson, printLines, printTable } from '../output.ts';
import { checkEnvironment, environmentOf, hintIfNotFound, productionUnlessTold } from './environment-option.ts';
import { idempotencyKeyOption, keyOf } from './idempotency-option.ts';

// Every command here moves money, so each takes --idempotency-key and is applied at most once however often it is
// retried (docs/ledger.md).

interface DepositOptions {
  environment: string;
  account: string;
  currency: string;
  amount: string;
  reference: string;
  senderName?: string;
  idempotencyKey?: string;
  json?: boolean;
}

export function registerMoneyCommands(program: Command, client: OperatorClient): void {
  const deposits = program.command('deposits').description('inbound funds');

  deposits
    .command('record')
    .description("record money that arrived for an account (from the bank statement); it is settled at once")
    .requiredOption('--environment <env>', 'sandbox or production')
    .requiredOption('--account <acct>', 'the receiving account id')
    .requiredOption('--currency <code>', describeCurrencies())
    .requiredOption('--amount <decimal>', 'the amount as on the statement, e.g. 10.00')
    .requiredOption('--reference <text>', "the statement line's reference")
    .option('--sender-name <name>', 'who paid')
    .option(...idempotencyKeyOption)
    .option('--json', 'print only JSON')
    .action(async (options: DepositOptions) => {
      const body = {
        environment: checkEnvironment(options.environment),
        account_id: options.account,
        currency: options.currency,
        amount: options.amount,
        reference: options.reference,
        ...(options.senderName === undefined ? {} : { sender_name: options.senderName }),
      };
      const deposit = await client.call('POST', '/admin/v1/deposits', body, keyOf(options));
      if (options.json) return printJson(deposit);
      printLines([`Recorded ${deposit.id}: ${deposit.amount} ${deposit.currency} to ${deposit.account_id} (${deposit.status}, transaction ${deposit.transaction_id}).`]);
    });

  const payouts = program.command('payouts').description('payouts waiting for the rail');

  payouts
    .command('list')
    .description('list payouts, oldest first (default: pending ones)')
    .option(...productionUnlessTold)
    .option('--status <status>', 'pending, completed or failed', 'pending')
    .option('--json', 'print only JSON')
    .action(async (options: { environment?: string; status: string; json?: boolean }) => {
      const query = `?environment=${encodeURIComponent(environmentOf(options))}&status=${encodeURIComponent(options.status)}`;
      const list = await client.call('GET', `/admin/v1/payouts${query}`);
      if (options.json) return printJson(list.data);
      if (list.data.length === 0 && options.environment === undefined) {
        return printLines([`(none ${options.status} in production, the default; sandbox payouts: --environment sandbox)`]);
      }
      printTable(
        list.data.map((p: Record<string, unknown> & { destination: Record<string, string> }) => ({
          ...p,
          to: p.destination.address ?? `${p.destination.bsb} ${p.destination.account_number} ${p.destination.account_name}`,
        })),
        ['id', 'account_id', 'currency', 'amount', 'to', 'reference', 'status', 'created_at'],
      );
    });

  payouts
    .command('complete')
    .description('the rail paid the payout out: it becomes completed and the money leaves for good')
    .argument('<payout_id>', 'po_…')
    .option(...productionUnlessTold)
    .option(...idempotencyKeyOption)
    .option('--json', 'print only JSON')
    .action(async (payoutId: string, options: { environment?: string; idempotencyKey?: string; json?: boolean }) => {
      const path = `/admin/v1/payouts/${encodeURIComponent(payoutId)}/complete`;
      const payout = await hintIfNotFound(options, 'PAYOUT_NOT_FOUND', 'payout', () => client.call('POST', path, { environment: environmentOf(options) }, keyOf(options)));
      if (options.json) return printJson(payout);
      printLines([`Payout ${payout.id} completed: ${payout.amount} ${payout.currency} from ${payout.account_id}.`]);
    });

  payouts
    .command('fail')
    .description('the rail rejected the payout: it becomes failed and the held funds return to the account')
    .argument('<payout_id>', 'po_…')
    .requiredOption('--reason <text>', 'why, as the platform will see it in failure_reason')
    .option(...productionUnlessTold)
    .option(...idempotencyKeyOption)
    .option('--json', 'print only JSON')
    .action(async (payoutId: string, options: { environment?: string; reason: string; idempotencyKey?: string; json?: boolean }) => {
      const path = `/admin/v1/payouts/${encodeURIComponent(payoutId)}/fail`;
      const payout = await hintIfNotFound(options, 'PAYOUT_NOT_FOUND', 'payout', () =>
        client.call('POST', path, { environment: environmentOf(options), reason: options.reason }, keyOf(options)),
      );
      if (options.json) return printJson(payout);
      printLines([`Payout ${payout.id} failed (${payout.failure_reason}); ${payout.amount} ${payout.currency} released to ${payout.account_id}.`]);
    });
}
