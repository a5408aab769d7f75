// Property: over random sequences of platforms, environments, keys and header values, no request crosses a boundary.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import type { Environment } from '../src/lib/environments.ts';
import { createTestConnectedAccount, createTestKey, createTestPlatform, startTestApp, type TestContext, type TestPlatform } from './support/context.ts';

let ctx: TestContext;
before(async () => {
  ctx = await startTestApp();
});
after(() => ctx.close());

interface Key {
  secret: string;
  id: string;
  platform: number;
  environment: Environment;
  isRevoked: boolean;
}
interface Account {
  id: string;
  platform: number;
  environment: Environment;
}

const environment = fc.constantFrom<Environment>('sandbox', 'production');
const action = fc.oneof(
  fc.record({ kind: fc.constant('account' as const), platform: fc.nat(), environment }),
  fc.record({ kind: fc.constant('key' as const), platform: fc.nat(), environment }),
  fc.record({ kind: fc.constant('delete' as const), key: fc.nat() }),
  fc.record({
    kind: fc.constant('request' as const),
    key: fc.nat(),
    header: fc.oneof(
      fc.constant({ type: 'none' as const }),
      fc.constant({ type: 'own-platform' as const }),
      fc.record({ type: fc.constant('platform' as const), index: fc.nat() }),
      fc.record({ type: fc.constant('account' as const), index: fc.nat() }),
      fc.record({ type: fc.constant('garbage' as const), value: fc.constantFrom('', 'acct_', 'ACCT_X', 'x, y', 'acct_01m8g4v2amhzvvtznqxqww9kqs') }),
    ),
    route: fc.constantFrom('account', 'accounts', 'account-by-id'),
    target: fc.nat(),
  }),
);

describe('isolation property', () => {
  it('every response is exactly what the rules predict, and no data leaves its platform and environment', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(action, { minLength: 5, maxLength: 25 }), async (actions) => {
        const platforms: TestPlatform[] = [await createTestPlatform(ctx), await createTestPlatform(ctx)];
        // The platforms' own first keys create accounts; the keys under test are separate, so deleting them never blocks setup.
        const keys: Key[] = [];
        for (const [i, p] of platforms.entries()) {
          for (const env of ['sandbox', 'production'] as const) {
            const k = await createTestKey(ctx, p.id, env);
            keys.push({ secret: k.secret, id: k.id, platform: i, environment: env, isRevoked: false });
          }
        }
        const accounts: Account[] = [];
        const pick = <T>(list: T[], n: number): T | undefined => (list.length ? list[n % list.length] : undefined);

        for (const a of actions) {
          if (a.kind === 'account') {
            const p = a.platform % platforms.length;
            accounts.push({ id: await createTestConnectedAccount(ctx, platforms[p]!, a.environment), platform: p, environment: a.environment });
          } else if (a.kind === 'key') {
            const p = a.platform % platforms.length;
            const k = await createTestKey(ctx, platforms[p]!.id, a.environment);
            keys.push({ secret: k.secret, id: k.id, platform: p, environment: a.environment, isRevoked: false });
          } else if (a.kind === 'delete') {
            const k = pick(keys, a.key)!;
            if (!k.isRevoked) {
              assert.equal((await ctx.admin('DELETE', `/admin/v1/keys/${k.id}`)).status, 200);
              k.isRevoked = true;
            }
          } else {
            const k = pick(keys, a.key)!;
            const own = platforms[k.platform]!;
            let header: string | undefined;
            if (a.header.type === 'own-platform') header = own.id;
            else if (a.header.type === 'platform') header = pick(platforms, a.header.index)!.id;
            else if (a.header.type === 'account') header = pick(accounts, a.header.index)?.id;
            else if (a.header.type === 'garbage') header = a.header.value;
            const headerAccount = accounts.find((x) => x.id === header);
            const target = pick(accounts, a.target);
            const url =
              a.route === 'account' ? '/api/v1/account' : a.route === 'accounts' ? '/api/v1/accounts' : `/api/v1/accounts/${target?.id ?? own.id}`;
            const result = await ctx.call('GET', url, { key: k.secret, onBehalfOf: header });

            // The model: what the rules say must happen.
            const isMine = (x: Account | undefined) => x !== undefined && x.platform === k.platform && x.environment === k.environment;
            let expected: number;
            if (k.isRevoked) expected = 401;
            else if (header !== undefined && !/^acct_[0-9a-hjkmnp-tv-z]{26}$/.test(header)) expected = 400;
            else if (a.route === 'accounts' && header !== undefined && header !== own.id) expected = 403;
            else if (header !== undefined && header !== own.id && !(headerAccount && isMine(headerAccount))) expected = 404;
            else if (a.route === 'account-by-id' && header !== undefined && (target?.id ?? own.id) !== header) expected = 400;
            else if (a.route === 'account-by-id' && target && !isMine(target)) expected = 404;
            else expected = 200;
            assert.equal(result.status, expected, `${url} key=${k.environment}/p${k.platform} header=${header} → ${result.raw}`);

            if (result.status === 200) {
              const returned: { id: string; environment: string }[] = a.route === 'accounts' ? result.body.data : [result.body];
              for (const item of returned) {
                assert.equal(item.environment, k.environment);
                const known = accounts.find((x) => x.id === item.id);
                assert.ok(item.id === own.id || (known && isMine(known)), `leaked ${item.id}`);
              }
            }
          }
        }
      }),
      { numRuns: 25 },
    );
  });
});
