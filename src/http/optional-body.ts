// A POST whose body may be left out (no schema: Fastify would demand one): nothing, or a JSON object of known fields.
import type { FastifyRequest } from 'fastify';
import { invalidField } from '../lib/errors.ts';

/** The body's fields, `{}` when there is none; 400 naming the field for anything else or an unknown field. */
export function optionalBody(request: FastifyRequest, allowed: readonly string[]): Record<string, unknown> {
  const body: unknown = request.body;
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) throw invalidField('body', 'The body must be a JSON object.');
  const unknown = Object.keys(body).find((k) => !allowed.includes(k));
  if (unknown !== undefined) throw invalidField(unknown, `Unknown field "${unknown}".`);
  return body as Record<string, unknown>;
}
