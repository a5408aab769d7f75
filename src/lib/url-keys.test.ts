import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { generateApiKey } from './api-key.ts';
import { decodedForms, findKeysInUrlText, hasKeyInUrlText, maxUrlDecodingPasses, queryParameterNames } from './url-keys.ts';

const escape = (text: string, upper = false): string =>
  [...text].map((c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`).map((e) => (upper ? e.toUpperCase() : e)).join('');

describe('keys in URL text', () => {
  for (const environment of ['sandbox', 'production'] as const) {
    const key = generateApiKey(environment).secret;
    const spellings: Record<string, string> = {
      plain: key,
      'one escaped character': `%70${key.slice(1)}`,
      'one escaped character, upper-case hex': `${key.slice(0, 4)}%${key.charCodeAt(4).toString(16).toUpperCase()}${key.slice(5)}`,
      'all escaped': escape(key),
      'all escaped, upper-case hex': escape(key, true),
      'escaped twice': `%2570${key.slice(1)}`,
      'escaped three times, then all escaped': escape(escape(`%70${key.slice(1)}`)),
      'after a broken escape': `x=%&y=%zz&k=%70${key.slice(1)}`,
      'next to a broken escape': `%7${key}%`,
      'in a form-encoded query with +': `q=a+b&k=${escape(key.slice(0, 9))}${key.slice(9)}`,
      'behind an overlong escape of "p"': `%C1%B0${key.slice(1)}`,
    };
    for (const [name, text] of Object.entries(spellings)) {
      it(`finds a ${environment} key: ${name}`, () => {
        assert.deepEqual(findKeysInUrlText(`/api/v1/accounts/${text}?a=b`).keys, [key]);
        assert.ok(hasKeyInUrlText(text));
      });
    }
  }

  it('leaves URLs without keys alone, cheaply', () => {
    for (const url of ['/api/v1/accounts/acct_01m8g4v2amhzvvtznqxqww9kqs', '/dashboard/accounts/sandbox?q=a%20b+c', '/x?y=%', '/x/%E0%A4%A']) {
      assert.deepEqual(findKeysInUrlText(url), { keys: [], isOverEncoded: false }, url);
      assert.equal(hasKeyInUrlText(url), false, url);
    }
    assert.deepEqual(decodedForms('/api/v1/account').forms, ['/api/v1/account']);
  });

  it('decodes each valid ASCII escape on its own, until nothing changes', () => {
    assert.deepEqual(decodedForms('%2541%zz%41+%C3%A9').forms, ['%2541%zz%41+%C3%A9', '%41%zzA %C3%A9', 'A%zzA %C3%A9']);
  });

  it(`calls a URL encoded more than ${maxUrlDecodingPasses} times over over-encoded (and so not to be logged)`, () => {
    let text = '%70';
    for (let i = 0; i < maxUrlDecodingPasses; i++) text = text.replace('%', '%25');
    assert.equal(findKeysInUrlText(text).isOverEncoded, true);
    assert.equal(hasKeyInUrlText(text), true);
    assert.equal(findKeysInUrlText(text.replace('%25', '%')).isOverEncoded, false);
  });

  it('lists query parameter names in every decoded form, lower-cased', () => {
    assert.deepEqual(queryParameterNames('/x?API%5Fkey=1&b&%2561ccess_token=2'), ['api%5fkey', 'api_key', 'b', '%2561ccess_token', '%61ccess_token', 'access_token']);
    assert.deepEqual(queryParameterNames('/x'), []);
  });
});
