// Text PostgreSQL cannot store — NUL characters and unpaired UTF-16 surrogates — is refused at the edge, for every
// field of every route at once, as a 400 naming the field (instead of a 500 from deep inside a query).
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../lib/errors.ts';
import { sendError } from './errors.ts';

// eslint-disable-next-line no-control-regex -- matching the NUL character is the point
const unstorable = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** A value met on the walk, linked to its parent (copying the path into every field would cost the square of the depth). */
interface Field {
  value: unknown;
  key: string | undefined;
  parent: Field | undefined;
  isKeyUnstorable: boolean;
}

function pathOf(field: Field): string {
  const keys: string[] = [];
  for (let at: Field | undefined = field; at?.key !== undefined; at = at.parent) keys.push(at.key);
  return keys.reverse().join('.');
}

/**
 * The path ("address.city", "beneficial_owners.1.name") of the first string that cannot be stored, if any. Iterative,
 * with its own stack and no depth cutoff: every string is checked however deep (the JSON parser bounds depth anyway).
 */
export function findUnstorableText(root: unknown): string | undefined {
  const pending: Field[] = [{ value: root, key: undefined, parent: undefined, isKeyUnstorable: false }];
  for (let field = pending.pop(); field !== undefined; field = pending.pop()) {
    // A field is reported when its turn comes: its key first ("(key)" in place of its name), then its value.
    if (field.isKeyUnstorable) return pathOf({ ...field, key: '(key)' });
    const value = field.value;
    if (typeof value === 'string') {
      if (unstorable.test(value)) return pathOf(field) || 'body';
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    const entries = Object.entries(value);
    // Pushed last to first, so the first field is looked at first and its path is the one reported.
    for (let i = entries.length - 1; i >= 0; i--) {
      const [key, child] = entries[i] as [string, unknown];
      pending.push({ value: child, key, parent: field, isKeyUnstorable: unstorable.test(key) });
    }
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
