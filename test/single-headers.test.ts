// Issue 15 (7): a header that takes one value, sent twice, is a 400 in our shape on every path — never "the first one wins".
// pik-test: engine-independent — repeated headers are refused before anything reads them
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { singleHeaders, type SingleHeader } from '../src/http/single-headers.ts';
import { createTestPlatform, startTestApp, type TestContext, type TestPlatform } from './support/context.ts';

let ctx: TestContext;
let platform: TestPlatform;

before(async () => {
  ctx = await startTestApp();
  platform = await createTestPlatform(ctx);
});
after(() => ctx.close());

/** A value each header may carry once on a GET; typed by the catalogue, so a header added there needs one here. */
const sampleValue = (): Record<SingleHeader, string> => ({
  authorization: `Bearer ${platform.keys.sandbox}`,
  'x-on-behalf-of': platform.id,
  'idempotency-key': 'retry-1',
  'content-type': 'application/json',
  'content-length': '0',
  host: 'localhost:80',
  origin: 'http://localhost:80',
  'sec-fetch-site': 'same-origin',
});

/** Each path with the credentials that open it, so only the repeated header can be the reason for a refusal. */
const paths = (): { url: string; authorization?: string; isHtml?: boolean }[] => [
  { url: '/api/v1/account', authorization: `Bearer ${platform.keys.sandbox}` },
  { url: '/admin/v1/platforms', authorization: `Bearer ${ctx.operatorToken}` },
  { url: '/dashboard/sign-in', isHtml: true },
  { url: '/health' },
];

async function get(url: string, headers: Record<string, string | string[]>) {
  const response = await ctx.app.inject({ method: 'GET', url, headers });
  return { status: response.statusCode, body: response.body, type: String(response.headers['content-type']) };
}

describe('single-valued headers', () => {
  it('each header of the catalogue sent twice: 400 with its code on /api/v1, /admin/v1, the dashboard and /health; once: accepted', async () => {
    const samples = sampleValue();
    for (const path of paths()) {
      for (const [name, code] of Object.entries(singleHeaders) as [SingleHeader, string][]) {
        const base: Record<string, string | string[]> = path.authorization ? { authorization: path.authorization } : {};
        const value = name === 'authorization' ? (path.authorization ?? samples[name]) : samples[name];
        const once = await get(path.url, { ...base, [name]: value });
        assert.ok(once.status < 400, `${path.url} with ${name} once: ${once.status} ${once.body}`);

        const twice = await get(path.url, { ...base, [name]: [value, value] });
        assert.equal(twice.status, 400, `${path.url} with ${name} twice: ${twice.body}`);
        if (path.isHtml) {
          assert.match(twice.type, /text\/html/);
        } else {
          const error = JSON.parse(twice.body).error;
          assert.equal(error.code, code, `${path.url} ${name}`);
          assert.deepEqual(error.detail, { header: name });
        }
      }
    }
  });

  it('two Authorization headers are refused whichever is valid, and before the key is checked', async () => {
    const valid = `Bearer ${platform.keys.sandbox}`;
    for (const pair of [[valid, valid], [valid, 'Bearer pik_test_nope'], ['Bearer pik_test_nope', valid], [valid, '']]) {
      const result = await ctx.call('GET', '/api/v1/account', { headers: { authorization: pair } as unknown as Record<string, string> });
      assert.equal(result.status, 400, JSON.stringify(pair));
      assert.equal(result.body.error.code, 'AUTHORIZATION_MALFORMED');
      assert.equal(result.headers['www-authenticate'], undefined);
    }
    // A repeated x-on-behalf-of is refused the same way, without a key too: the request itself is malformed.
    const noKey = await ctx.call('GET', '/api/v1/account', { onBehalfOf: [platform.id, platform.id] });
    assert.equal(noKey.status, 400);
    assert.equal(noKey.body.error.code, 'INVALID_ON_BEHALF_OF');
  });

  it('over a real socket, where Node itself would keep the first Authorization and drop the second (any letter case)', async () => {
    const address = await ctx.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = new URL(address);
    const send = (path: string, headerLines: string[]): Promise<string> =>
      new Promise((resolve, reject) => {
        const socket = net.connect(Number(port), '127.0.0.1');
        let answer = '';
        socket.on('data', (chunk) => (answer += chunk.toString('latin1')));
        socket.on('end', () => resolve(answer));
        socket.on('error', reject);
        socket.write([`GET ${path} HTTP/1.1`, `Host: 127.0.0.1:${port}`, 'Connection: close', ...headerLines, '', ''].join('\r\n'));
      });
    const key = platform.keys.sandbox;
    assert.match(await send('/api/v1/account', [`Authorization: Bearer ${key}`]), /^HTTP\/1\.1 200 /);
    const twice = await send('/api/v1/account', [`Authorization: Bearer ${key}`, `authorization: Bearer ${key}`]);
    assert.match(twice, /^HTTP\/1\.1 400 /);
    assert.match(twice, /"code":"AUTHORIZATION_MALFORMED"/);
    assert.match(await send('/admin/v1/platforms', [`Authorization: Bearer ${ctx.operatorToken}`]), /^HTTP\/1\.1 200 /);
    const twoOperatorTokens = await send('/admin/v1/platforms', [`AUTHORIZATION: Bearer ${ctx.operatorToken}`, 'Authorization: Bearer wrong']);
    assert.match(twoOperatorTokens, /^HTTP\/1\.1 400 /);
  });
});
