// pik fx …: the operator sets the rate table of an environment (mid rates and PIK's spread) and reads PIK's FX position.
import type { Command } from 'commander';
import { describeCurrencies } from '../../lib/currencies.ts';
import type { OperatorClient } from '../client.ts';
import { printJson, printLines, printTable } from '../output.ts';
import { checkEnvironment, defaultedHint, environmentOf, productionUnlessTold, type EnvironmentOption } from './environment-option.ts';

export function registerFxCommands(program: Command, client: OperatorClient): void {
  const fx = program.command('fx').description('FX: the rate table and PIK\u2019s FX position');
  const rates = fx.command('rates').description('mid rates and spreads, per environment');

  rates
    .command('set')
    .description('set the mid rate and spread of a pair, dated now (replaces the pair in either direction)')
    .requiredOption('--environment <env>', 'sandbox or production')
    .requiredOption('--pair <BASE/QUOTE>', `two of ${describeCurrencies()}, e.g. AUD/USD (1 AUD = mid USD)`)
    .requiredOption('--mid <decimal>', 'the mid rate, e.g. 0.6512')
    .requiredOption('--spread-bps <n>', "PIK's spread off the mid in basis points, e.g. 30")
    .option('--json', 'print only JSON')
    .action(async (options: { environment: string; pair: string; mid: string; spreadBps: string; json?: boolean }) => {
      // A number only when it is one: anything else goes as text, and the server names the field it refuses.
      const spread = /^\d{1,6}$/.test(options.spreadBps) ? Number(options.spreadBps) : options.spreadBps;
      const body = { environment: checkEnvironment(options.environment), pair: options.pair.toUpperCase(), mid: options.mid, spread_bps: spread };
      const row = await client.call('PUT', '/admin/v1/fx/rates', body);
      if (options.json) return printJson(row);
      printLines([`Set ${row.pair} in ${body.environment}: mid ${row.mid}, spread ${row.spread_bps} bps, as of ${row.as_of}.`]);
    });

  rates
    .command('list')
    .description('the rate table of an environment')
    .option(...productionUnlessTold)
    .option('--json', 'print only JSON')
    .action(async (options: EnvironmentOption & { json?: boolean }) => {
      const list = await client.call('GET', `/admin/v1/fx/rates?environment=${encodeURIComponent(environmentOf(options))}`);
      if (options.json) return printJson(list.data);
      if (list.data.length === 0) {
        return printLines([`No rates in ${list.environment}${defaultedHint(options)}: every conversion answers 503 RATES_UNAVAILABLE until one is set.`]);
      }
      printTable(list.data, ['pair', 'mid', 'spread_bps', 'as_of', 'pinned', 'set_by']);
    });

  fx.command('positions')
    .description("PIK's FX position per currency: what conversions sold to PIK less what they bought from it")
    .option(...productionUnlessTold)
    .option('--json', 'print only JSON')
    .action(async (options: EnvironmentOption & { json?: boolean }) => {
      const positions = await client.call('GET', `/admin/v1/fx/positions?environment=${encodeURIComponent(environmentOf(options))}`);
      if (options.json) return printJson(positions.data);
      printTable(positions.data, ['currency', 'position']);
    });
}
