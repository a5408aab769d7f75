// Who is acting: an authenticated API key (Principal, narrowed to a Scope) or the operator.
import type { Environment } from './environments.ts';
import type { IpAllowlist } from './ip-allowlist.ts';
import type { KeyPermissions } from './key-permissions.ts';

export interface Principal {
  platformId: string;
  environment: Environment;
  keyId: string;
  /** What the key may do ("full": whatever its platform may); checked by the edge against the route's permission. */
  permissions?: KeyPermissions;
  /** The addresses the key accepts requests from; absent or null: any. */
  allowlist?: IpAllowlist | null;
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
