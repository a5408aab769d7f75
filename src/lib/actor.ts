// Who is acting: an authenticated API key (Principal, narrowed to a Scope) or the operator.
import type { Environment } from './environments.ts';

export interface Principal {
  platformId: string;
  environment: Environment;
  keyId: string;
}

export interface Scope extends Principal {
  /** The account the request acts for: the platform's own account, or the connected account named by x-on-behalf-of. */
  accountId: string;
  isPlatformScope: boolean;
  /** The request carried x-on-behalf-of (even if it named the platform itself). */
  viaOnBehalfOf: boolean;
}

export interface OperatorActor {
  kind: 'operator';
}

export const operator: OperatorActor = { kind: 'operator' };
