// Payment-link test helpers: a payee account that can take payments, and links created through the API.
import assert from 'node:assert/strict';
import type { Environment } from '../../src/lib/environments.ts';
import { createTestConnectedAccount, createTestPlatform, type CallResult, type TestContext, type TestPlatform } from './context.ts';
import { approveAccount } from './ledger.ts';

export interface Payee {
  platform: TestPlatform;
  account: string;
  environment: Environment;
  /** Calls the API as the platform on behalf of the payee account. */
  call(method: string, url: string, body?: unknown, headers?: Record<string, string>): Promise<CallResult>;
}

/** A platform and a connected account approved with inbound_payments and (unless told not to) an AUD virtual account. */
export async function createPayee(ctx: TestContext, environment: Environment = 'sandbox', platform?: TestPlatform, options: { virtualAccount?: boolean } = {}): Promise<Payee> {
  const p = platform ?? (await createTestPlatform(ctx));
  const account = await createTestConnectedAccount(ctx, p, environment);
  await approveAccount(ctx, environment, account);
  const call = (method: string, url: string, body?: unknown, headers?: Record<string, string>) =>
    ctx.call(method, url, { key: p.keys[environment], onBehalfOf: account, body, headers });
  if (options.virtualAccount !== false) {
    const van = await call('POST', `/api/v1/accounts/${account}/virtual-account`, {});
    assert.equal(van.status, 201, van.raw);
  }
  return { platform: p, account, environment, call };
}

let referenceCounter = 0;
export const uniqueReference = (prefix = 'INV'): string => `${prefix}-${Date.now().toString(36)}${(++referenceCounter).toString(36)}`.toUpperCase().slice(0, 18);

/** Creates a link (fixed AUD 100.00 by default) and returns its body. */
export async function createLink(payee: Payee, body: Record<string, unknown> = {}): Promise<any> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const created = await payee.call('POST', '/api/v1/payment-links', { amount_type: 'fixed', currency: 'AUD', amount: '100.00', reference: uniqueReference(), ...body });
  assert.equal(created.status, 201, created.raw);
  return created.body;
}
