// The one JSON body parser, for every route that takes JSON (/api/v1, /admin/v1): Fastify's own parser behind a
// bound on nesting, so no body reaches a walker (validation, hygiene, idempotency hashing) deeper than any PIK body.
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../lib/errors.ts';
import { exceedsJsonDepth } from '../lib/json-depth.ts';

/** The deepest PIK body (a KYB's beneficial_owners[].address) nests 4 levels; 32 leaves room and stops abuse. */
export const maxJsonDepth = 32;

export function registerJsonBody(app: FastifyInstance): void {
  // Keeps Fastify's handling of empty bodies, syntax errors and "__proto__"/"constructor" keys (the app's options).
  const parseJson = app.getDefaultJsonParser(app.initialConfig.onProtoPoisoning ?? 'error', app.initialConfig.onConstructorPoisoning ?? 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = String(body); // already a string (parseAs); this only narrows the type
    if (exceedsJsonDepth(text, maxJsonDepth)) {
      done(new ApiError('INVALID_JSON', `The request body nests arrays and objects more than ${maxJsonDepth} levels deep.`, { max_depth: maxJsonDepth }), undefined);
      return;
    }
    parseJson(request, text, done);
  });
}
