// --environment for the operator's commands. Those that act on the rail (payouts, the rate table, PIK's FX position)
// act in production unless told otherwise; an answer that comes back empty or "not found" from that default says so,
// since what the operator looked for is most likely in sandbox.
import { isEnvironment, type Environment } from '../../lib/environments.ts';
import { CliError } from '../client.ts';

export function checkEnvironment(value: string): Environment {
  if (!isEnvironment(value)) throw new Error('--environment must be sandbox or production');
  return value;
}

/** The option, for commands.option(...): no default of commander's, so a defaulted environment can be told apart. */
export const productionUnlessTold = ['--environment <env>', 'sandbox or production (default: production)'] as const;

export interface EnvironmentOption {
  environment?: string;
}

export const environmentOf = (options: EnvironmentOption): Environment => checkEnvironment(options.environment ?? 'production');

/** Appended to an empty or not-found answer when the environment was left to the default. */
export const defaultedHint = (options: EnvironmentOption): string =>
  options.environment === undefined ? ' (the default: for sandbox add --environment sandbox)' : '';

/** Runs `call`; a `notFoundCode` refusal in the defaulted environment says where else to look for the `what`. */
export async function hintIfNotFound<T>(options: EnvironmentOption, notFoundCode: string, what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (options.environment === undefined && error instanceof CliError && error.code === notFoundCode) {
      throw new CliError(`${error.message}\n(looked in production, the default: for a sandbox ${what} add --environment sandbox)`, error);
    }
    throw error;
  }
}
