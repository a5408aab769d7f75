// The catalogue of what a restricted API key may be granted: resources, each read or write (write implies read).
import { ApiError, invalidField } from './errors.ts';
import { listWithOr } from './words.ts';

/** The one place to add a resource a key can be restricted to; every /api/v1 route names one in its declaration. */
export const keyResourceCatalogue = {
  accounts: { label: 'Accounts', covers: 'the platform account and connected accounts: create, list, read' },
  onboarding: { label: 'Onboarding', covers: 'KYC and KYB submissions, verification status, capabilities' },
  balances: { label: 'Balances', covers: 'wallet balances and transactions' },
  transfers: { label: 'Transfers', covers: 'transfers between accounts of the platform' },
  payouts: { label: 'Payouts', covers: 'payouts: create, list, read' },
  fx: { label: 'FX', covers: 'FX quotes and conversions' },
  virtual_accounts: { label: 'Virtual accounts', covers: 'virtual account numbers and receiving details' },
  payment_links: { label: 'Payment links', covers: 'payment links and the payments made against them' },
  webhooks: { label: 'Webhooks', covers: 'webhook endpoints, their secrets and deliveries' },
  events: { label: 'Events', covers: 'the event log and redelivery' },
  sandbox: { label: 'Sandbox helpers', covers: 'simulated deposits, payout outcomes and verification decisions (sandbox only)' },
} as const;

export type KeyResource = keyof typeof keyResourceCatalogue;
export const keyResources = Object.keys(keyResourceCatalogue) as KeyResource[];
export const keyAccessLevels = ['read', 'write'] as const;
export type KeyAccess = (typeof keyAccessLevels)[number];
/** What a route requires, e.g. "payouts:write". */
export type KeyPermission = `${KeyResource}:${KeyAccess}`;
/** "full" inherits everything the platform may do; a map grants only what it names. */
export type KeyPermissionMap = Partial<Record<KeyResource, KeyAccess>>;
export type KeyPermissions = 'full' | KeyPermissionMap;

const resourceSet = new Set<string>(keyResources);

export function isKeyPermission(value: unknown): value is KeyPermission {
  if (typeof value !== 'string') return false;
  const [resource, access, extra] = value.split(':');
  return extra === undefined && resource !== undefined && resourceSet.has(resource) && (access === 'read' || access === 'write');
}

/** "payouts:write" → { resource: "payouts", access: "write" }; done once per route, when it is registered. */
export function splitKeyPermission(permission: KeyPermission): { resource: KeyResource; access: KeyAccess } {
  const [resource, access] = permission.split(':') as [KeyResource, KeyAccess];
  return { resource, access };
}

/**
 * Whether `granted` gives `access` to `resource`. Pure and allocation-free: it runs on every request of a restricted
 * key. A missing resource grants nothing; write implies read.
 */
export function grantsAccess(granted: KeyPermissions, resource: KeyResource, access: KeyAccess): boolean {
  if (granted === 'full') return true;
  const level = granted[resource];
  return level === 'write' || (level === 'read' && access === 'read');
}

/** Whether `granted` allows a request that requires `required` ("payouts:write"). */
export function isPermitted(granted: KeyPermissions, required: KeyPermission): boolean {
  const { resource, access } = splitKeyPermission(required);
  return grantsAccess(granted, resource, access);
}

/**
 * The permissions given when a key is made or changed: "full" (also when absent) or a map of resource → read | write.
 * Anything else is 400 INVALID_REQUEST naming the field (`permissions.<resource>` for a bad entry).
 */
export function parseKeyPermissions(value: unknown): KeyPermissions {
  if (value === undefined || value === null || value === 'full') return 'full';
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw invalidField('permissions', 'permissions must be "full" or an object mapping resources to "read" or "write".');
  }
  const map: KeyPermissionMap = {};
  for (const [resource, access] of Object.entries(value as Record<string, unknown>)) {
    if (!resourceSet.has(resource)) {
      throw new ApiError('INVALID_REQUEST', `permissions names an unknown resource "${resource}"; use ${listWithOr(keyResources)}.`, {
        field: `permissions.${resource}`,
        known_resources: keyResources,
      });
    }
    if (access !== 'read' && access !== 'write') throw invalidField(`permissions.${resource}`, `permissions.${resource} must be "read" or "write".`);
    map[resource as KeyResource] = access;
  }
  if (Object.keys(map).length === 0) throw invalidField('permissions', 'A restricted key needs at least one permission; use "full" for an unrestricted key.');
  // Stored and shown in catalogue order, whatever order the caller wrote.
  return Object.fromEntries(keyResources.filter((r) => map[r] !== undefined).map((r) => [r, map[r]])) as KeyPermissionMap;
}

/** A short, human summary: "Full access", or "Restricted: payouts write, balances read". */
export function describeKeyPermissions(permissions: KeyPermissions): string {
  if (permissions === 'full') return 'Full access';
  return `Restricted: ${Object.entries(permissions).map(([resource, access]) => `${resource} ${access}`).join(', ')}`;
}

/**
 * A key's permissions as stored (null: full), in catalogue order: the database's jsonb keeps its own key order, and
 * everything shown — the key JSON, the dashboard, audit entries — lists resources the same way.
 */
export function storedKeyPermissions(stored: KeyPermissionMap | null): KeyPermissions {
  if (stored === null) return 'full';
  return Object.fromEntries(keyResources.filter((r) => stored[r] !== undefined).map((r) => [r, stored[r]])) as KeyPermissionMap;
}
