// Text PostgreSQL cannot store — NUL characters and unpaired UTF-16 surrogates — is refused at the edge, for every
// field of every route at once, as a 400 naming the field (instead of a 500 from deep inside a query).
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../lib/errors.ts';
import { sendError } from './errors.ts';

// eslint-disable-next-line no-control-regex -- matching the NUL character is the point
const unstorable = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** The path ("address.city", "beneficial_owners.1.name") of the first string that cannot be stored, if any. */
export function findUnstorableText(value: unknown, path: string[] = [], depth = 0): string | undefined {
  if (typeof value === 'string') return unstorable.test(value) ? path.join('.') || 'body' : undefined;
  if (depth > 32 || value === null || typeof value !== 'object') return undefined;
  for (const [key, child] of Object.entries(value)) {
    if (unstorable.test(key)) return [...path, '(key)'].join('.');
    const found = findUnstorableText(child, [...path, key], depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

export function registerInputHygiene(app: FastifyInstance): void {
  // Synchronous: a walk over already-parsed input, run on every request, should not cost a promise.
  app.addHook('preValidation', (request, reply, done) => {
    for (const [part, value] of [['path parameter', request.params], ['query parameter', request.query], ['field', request.body]] as const) {
      const field = findUnstorableText(value);
      if (field !== undefined) {
        // Replying from a callback-style hook ends the request; done() must not be called then.
        sendError(request, reply, new ApiError('INVALID_REQUEST', `The ${part} "${field}" contains a NUL character or invalid Unicode; send valid UTF-8 text.`, { field }));
        return;
      }
    }
    done();
  });
}
