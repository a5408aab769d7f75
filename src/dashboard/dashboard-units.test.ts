// Unit tests for the dashboard's pure parts: escaping, CSRF tokens, redirect targets, one-time form ids.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { safeNext } from './context.ts';
import { FormOnce } from './form-once.ts';
import { html } from './html.ts';
import { csrfTokenFor, isCsrfTokenValid, newCsrfSecret } from './security.ts';

describe('html', () => {
  it('escapes every interpolated value, in text and attributes, but not nested html', () => {
    const evil = `"><script>alert('x')</script>&`;
    const out = html`<p title="${evil}">${evil}${html`<b>ok</b>`}${[evil, 1]}${null}${undefined}${false}</p>`.value;
    assert.equal(out.includes('<script>'), false);
    assert.equal(out.includes(`"><`), false);
    assert.match(out, /&quot;&gt;&lt;script&gt;alert\(&#39;x&#39;\)&lt;\/script&gt;&amp;/);
    assert.match(out, /<b>ok<\/b>/);
    assert.equal(out.includes('null') || out.includes('undefined') || out.includes('false'), false);
  });
});

describe('CSRF tokens', () => {
  it('accept the token of the same secret only', () => {
    const secret = newCsrfSecret();
    assert.equal(isCsrfTokenValid(secret, csrfTokenFor(secret)), true);
    assert.equal(isCsrfTokenValid(newCsrfSecret(), csrfTokenFor(secret)), false);
    assert.equal(isCsrfTokenValid(secret, ''), false);
    assert.equal(isCsrfTokenValid(secret, undefined), false);
    assert.equal(isCsrfTokenValid(undefined, csrfTokenFor(secret)), false);
    assert.equal(isCsrfTokenValid(secret, ['a']), false);
  });
});

describe('safeNext', () => {
  it('keeps dashboard paths and refuses everything else', () => {
    assert.equal(safeNext('/dashboard/settings/api-keys/sandbox'), '/dashboard/settings/api-keys/sandbox');
    for (const bad of ['https://evil.example', '//evil.example', '/dashboard//evil.example', '/dashboardx', '/dashboard/\\evil', '/api/v1/account', 42, undefined]) {
      assert.equal(safeNext(bad), '/dashboard', String(bad));
    }
  });
});

describe('FormOnce', () => {
  it('lets an id through once per scope, again after release, and ignores malformed ids', () => {
    const forms = new FormOnce();
    const id = forms.newId();
    assert.equal(forms.claim('s1', id), true);
    assert.equal(forms.claim('s1', id), false);
    assert.equal(forms.claim('s2', id), true);
    forms.release('s1', id);
    assert.equal(forms.claim('s1', id), true);
    assert.equal(forms.claim('s1', id, Date.now() + 2 * 3600 * 1000), true); // expired
    assert.equal(forms.claim('s1', ''), true);
    assert.equal(forms.claim('s1', ''), true);
  });
});
