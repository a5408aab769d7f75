// The catalogue of audited actions: the one place to add one. Each names what it means and what its target is.

export const auditActionCatalogue = {
  'api_key.created': { label: 'API key created', target: 'api_key' },
  'api_key.rolled': { label: 'API key rolled', target: 'api_key' },
  'api_key.deleted': { label: 'API key deleted', target: 'api_key' },
  'api_key.expired': { label: 'API key expired', target: 'api_key' },
  'api_key.exposed': { label: 'API key reported exposed', target: 'api_key' },
  'api_key.permissions_changed': { label: 'API key permissions changed', target: 'api_key' },
  'api_key.allowlist_changed': { label: 'API key IP allowlist changed', target: 'api_key' },
  'user.sign_in_succeeded': { label: 'Dashboard sign-in succeeded', target: 'user' },
  'user.sign_in_failed': { label: 'Dashboard sign-in failed', target: 'user' },
  'user.password_changed': { label: 'Password changed', target: 'user' },
  'user.invited': { label: 'User invited', target: 'user' },
  'user.removed': { label: 'User removed', target: 'user' },
  'webhook_endpoint.created': { label: 'Webhook endpoint created', target: 'webhook_endpoint' },
  'webhook_endpoint.updated': { label: 'Webhook endpoint changed', target: 'webhook_endpoint' },
  'webhook_endpoint.deleted': { label: 'Webhook endpoint deleted', target: 'webhook_endpoint' },
  'webhook_endpoint.secret_rotated': { label: 'Webhook signing secret rotated', target: 'webhook_endpoint' },
  'platform.created': { label: 'Platform created (operator)', target: 'platform' },
  'platform.rate_limits_changed': { label: 'Rate limits changed (operator)', target: 'platform' },
  'capability.enabled': { label: 'Capability enabled (operator)', target: 'account' },
  'capability.disabled': { label: 'Capability disabled (operator)', target: 'account' },
  'verification.decided': { label: 'Verification decided (operator)', target: 'account' },
  'deposit.recorded': { label: 'Deposit recorded (operator)', target: 'deposit' },
  'payout.settled': { label: 'Payout settled: completed or failed (operator)', target: 'payout' },
} as const satisfies Record<string, { label: string; target: string }>;

export type AuditAction = keyof typeof auditActionCatalogue;
export const auditActions = Object.keys(auditActionCatalogue) as AuditAction[];

export function isAuditAction(value: unknown): value is AuditAction {
  return typeof value === 'string' && Object.hasOwn(auditActionCatalogue, value);
}
