// frozenJson: the same bytes as the route's schema serializer, computed once per frozen view and per schema.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Fastify from 'fastify';
import { frozenJson } from './frozen-json.ts';

describe('frozenJson', () => {
  it('answers with what the response schema would produce, per route schema, and leaves unfrozen views alone', async () => {
    const view = Object.freeze({ id: 'a', name: 'Ann "the" \u2028 one', secret: 'not in any schema' });
    const mutable = { id: 'b', name: 'Bob', secret: 'x' };
    const app = Fastify();
    const schema = (properties: Record<string, unknown>) => ({ response: { 200: { type: 'object', properties } } });
    app.get('/full', { schema: schema({ id: { type: 'string' }, name: { type: 'string' } }) }, async (_req, reply) => frozenJson(reply, view));
    app.get('/id', { schema: schema({ id: { type: 'string' } }) }, async (_req, reply) => frozenJson(reply, view));
    app.get('/mutable', { schema: schema({ id: { type: 'string' }, name: { type: 'string' } }) }, async (_req, reply) => frozenJson(reply, mutable));

    // Twice each: the second answer comes from the cache.
    for (let i = 0; i < 2; i++) {
      const full = await app.inject('/full');
      assert.equal(full.headers['content-type'], 'application/json; charset=utf-8');
      assert.deepEqual(full.json(), { id: 'a', name: view.name }); // the schema drops what it does not name
      const id = await app.inject('/id');
      assert.deepEqual(id.json(), { id: 'a' }); // the same view under another schema is not served the other's text
    }
    mutable.name = 'Bobby';
    assert.deepEqual((await app.inject('/mutable')).json(), { id: 'b', name: 'Bobby' });
    await app.close();
  });
});
