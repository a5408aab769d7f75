// @pik/sdk: every kind of failure becomes its error class with the API's code, message, detail and request id; and
// Idempotency-Keys: automatic on every POST, a replay answered from the server's stored reply.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import {
  ApiError,
  AuthenticationError,
  ConflictError,
  ConnectionError,
  errorCodes,
  InvalidRequestError,
  NotFoundError,
  PermissionError,
  Pik,
  PikError,
  RateLimitError,
  responseOf,
  type ErrorCode,
} from '../packages/sdk/src/index.ts';
import { errorCatalogue } from '../src/lib/errors.ts';
import { createTestPlatform } from './support/context.ts';
import { startSdkServer, type SdkServer } from './support/sdk.ts';

let server: SdkServer;
let account: string;
before(async () => {
  server = await startSdkServer({ rateLimitEnabled: true });
  account = (await server.pik.accounts.create({ customer_type: 'individual', email: 'errors@example.test', country: 'AU', reference_id: 'taken' })).id;
});
after(() => server.ctx.close());

async function caught(promise: Promise<unknown>): Promise<PikError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof PikError, String(error));
    return error;
  }
  assert.fail('expected an error');
}

function expectApiError(error: PikError, Class: new (...args: never[]) => PikError, status: number, code: ErrorCode): void {
  assert.ok(error instanceof Class, `${error.name} is not ${Class.name}`);
  assert.equal(error.status, status);
  assert.equal(error.code, code);
  assert.ok(error.message.length > 0);
  assert.match(error.requestId ?? '', /^req_/);
}

describe('@pik/sdk errors', () => {
  it('the code union is the server catalogue; a misspelt code does not compile', () => {
    assert.deepEqual([...errorCodes].sort(), Object.keys(errorCatalogue).sort());
    // @ts-expect-error: not a code of the catalogue
    const wrong: ErrorCode = 'TRANSFER_NOT_FOUNDD';
    assert.ok(wrong);
  });

  it('401 AuthenticationError, 403 PermissionError, 404 NotFoundError, 409 ConflictError', async () => {
    const badKey = server.client({ apiKey: 'pik_test_not-a-key' });
    expectApiError(await caught(badKey.accounts.current()), AuthenticationError, 401, 'INVALID_API_KEY');
    expectApiError(await caught(server.pik.onBehalfOf(account).accounts.create({ customer_type: 'individual', email: 'x@example.test', country: 'AU' })), PermissionError, 403, 'PLATFORM_SCOPE_REQUIRED');
    const notFound = await caught(server.pik.transfers.get('tr_01m8g5hycd5qba505sf93e83c5'));
    expectApiError(notFound, NotFoundError, 404, 'TRANSFER_NOT_FOUND');
    assert.deepEqual(notFound.detail, { transfer_id: 'tr_01m8g5hycd5qba505sf93e83c5' });
    const conflict = await caught(server.pik.accounts.create({ customer_type: 'individual', email: 'y@example.test', country: 'AU', reference_id: 'taken' }));
    expectApiError(conflict, ConflictError, 409, 'REFERENCE_ID_CONFLICT');
    assert.equal(conflict.detail?.field, 'reference_id');
    // The code narrows: a switch on it is checked against the catalogue.
    const narrowed = conflict.code === 'REFERENCE_ID_CONFLICT' ? conflict.code : undefined;
    assert.equal(narrowed, 'REFERENCE_ID_CONFLICT');
  });

  it('400 and 422 are InvalidRequestError, with detail', async () => {
    const bad = await caught(server.pik.transfers.create({ destination_account_id: account, currency: 'AUD', amount: '1.001' }));
    expectApiError(bad, InvalidRequestError, 400, 'INVALID_AMOUNT');
    const tooMuch = await caught(server.pik.transfers.create({ destination_account_id: account, currency: 'AUD', amount: '99999999.00' }));
    expectApiError(tooMuch, InvalidRequestError, 422, 'INSUFFICIENT_BALANCE');
  });

  it('429 RateLimitError with retryAfterSeconds (maxRetries 0: the SDK does not wait for it)', async () => {
    const platform = await createTestPlatform(server.ctx);
    assert.equal((await server.ctx.admin('PUT', `/admin/v1/platforms/${platform.id}/rate-limits`, { limits: { general: 1 } })).status, 200);
    const client = server.client({ apiKey: platform.keys.sandbox, maxRetries: 0 });
    // Fixed one-minute windows: of three calls, two share a window even when the minute turns between them.
    let limited: PikError | undefined;
    for (let i = 0; i < 3 && limited === undefined; i++) limited = await client.accounts.current().then(() => undefined, (error: PikError) => error);
    assert.ok(limited);
    expectApiError(limited, RateLimitError, 429, 'RATE_LIMITED');
    const seconds = (limited as RateLimitError).retryAfterSeconds ?? 0;
    assert.ok(seconds >= 1 && seconds <= 60, String(seconds));
  });

  it('5xx ApiError after the retries; ConnectionError for a refused connection and CLIENT_TIMEOUT for no answer', async () => {
    let calls = 0;
    const failing = new Pik({
      apiKey: 'pik_test_x',
      baseUrl: 'http://pik.invalid',
      initialRetryDelayMs: 1,
      fetch: async () => {
        calls++;
        return new Response(JSON.stringify({ error: { code: 'INTERNAL_ERROR', message: 'Something went wrong', request_id: 'req_x' } }), { status: 500, headers: { 'content-type': 'application/json' } });
      },
    });
    expectApiError(await caught(failing.accounts.current()), ApiError, 500, 'INTERNAL_ERROR');
    assert.equal(calls, 3, 'maxRetries defaults to 2');

    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const refused = await caught(new Pik({ apiKey: 'pik_test_x', baseUrl: `http://127.0.0.1:${port}`, maxRetries: 1, initialRetryDelayMs: 1 }).accounts.current());
    assert.ok(refused instanceof ConnectionError);
    assert.equal(refused.code, 'CONNECTION_ERROR');
    assert.equal(refused.status, undefined);

    const silent = http.createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
      const timedOut = await caught(new Pik({ apiKey: 'pik_test_x', baseUrl: url, timeoutMs: 100, maxRetries: 0 }).accounts.current());
      assert.ok(timedOut instanceof ConnectionError);
      assert.equal(timedOut.code, 'CLIENT_TIMEOUT');
      // The caller's own signal ends it at once, without retries.
      const controller = new AbortController();
      const pending = new Pik({ apiKey: 'pik_test_x', baseUrl: url, maxRetries: 5 }).accounts.current({ signal: controller.signal });
      controller.abort(new Error('stop'));
      await assert.rejects(pending, /stop/);
    } finally {
      silent.closeAllConnections();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});

describe('@pik/sdk idempotency', () => {
  it('every POST carries a random Idempotency-Key; GET carries none', async () => {
    const first = await server.pik.transfers.create({ destination_account_id: account, currency: 'AUD', amount: '1.00' });
    const second = await server.pik.transfers.create({ destination_account_id: account, currency: 'AUD', amount: '1.00' });
    const [a, b] = [responseOf(first)?.idempotencyKey, responseOf(second)?.idempotencyKey];
    assert.match(a ?? '', /^[0-9a-f-]{36}$/);
    assert.notEqual(a, b);
    assert.notEqual(first.id, second.id, 'two calls are two transfers');
    assert.equal(responseOf(await server.pik.transfers.get(first.id))?.idempotencyKey, undefined);
  });

  it('the same key again is a replay: the same transfer, idempotent-replayed, money moved once; another body is 422', async () => {
    const balance = async () => (await server.pik.wallets.balances(account)).data.find((x) => x.currency === 'AUD')?.available;
    const before = await balance();
    const body = { destination_account_id: account, currency: 'AUD' as const, amount: '2.00' };
    const first = await server.pik.transfers.create(body, { idempotencyKey: `replay-${account}` });
    const again = await server.pik.transfers.create(body, { idempotencyKey: `replay-${account}` });
    assert.equal(again.id, first.id);
    assert.equal(responseOf(first)?.replayed, false);
    assert.equal(responseOf(again)?.replayed, true);
    assert.equal(Number(await balance()), Number(before) + 2);
    const reused = await caught(server.pik.transfers.create({ ...body, amount: '3.00' }, { idempotencyKey: `replay-${account}` }));
    expectApiError(reused, InvalidRequestError, 422, 'IDEMPOTENCY_KEY_REUSED');
  });
});
