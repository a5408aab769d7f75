// What each operation can answer, derived from the route itself: the error codes the pipeline in front of the handler
// can raise for it (credential, scope, rate limit, body parsing, idempotency, capability), plus the domain codes the
// route declares in `config.errors`; and the headers it accepts and sends. The OpenAPI documents state it per
// operation (`x-error-codes`, one response per status, header parameters) — src/http/openapi.ts — and the walking test
// (test/openapi-walk.test.ts) checks every code answered is in the list.
import type { FastifyContextConfig } from 'fastify';
import { capabilitiesOfRoute } from '../lib/capabilities.ts';
import { errorEntry, statusOf, type ErrorCode } from '../lib/errors.ts';
import { rateLimitGroupCatalogue } from '../lib/rate-limit-groups.ts';
import { routeErrors } from './route-errors.ts';
import { singleHeaders } from './single-headers.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * The codes the route's own handler and domain call can answer with (not found, conflicts, business rules), beyond
     * those its declaration already implies (see errorCodesOf). Typed, so a misspelt code fails to compile.
     */
    errors?: readonly ErrorCode[];
  }
}

/** Which gate a route is behind, read from its prefix. */
export type Gate = 'api' | 'operator' | 'none';

export function gateOf(url: string): Gate {
  if (url.startsWith('/api/v1/')) return 'api';
  if (url.startsWith('/admin/v1/')) return 'operator';
  return 'none';
}

/** Every request, before any route: a key in the URL, a repeated single-valued header, a bad URL, shutting down, a bug. */
const everyRequest: readonly ErrorCode[] = ['API_KEY_IN_URL', 'INVALID_REQUEST', ...Object.values(singleHeaders), 'INTERNAL_ERROR', 'SERVICE_UNAVAILABLE'];

/** The API key gate (src/http/api-auth.ts and src/auth/authenticate.ts), on every /api/v1 route. */
const apiKeyGate: readonly ErrorCode[] = [
  'API_KEY_MISSING',
  'AUTHORIZATION_MALFORMED',
  'INVALID_API_KEY',
  'API_KEY_REVOKED',
  'API_KEY_EXPIRED',
  'API_KEY_ENVIRONMENT_MISMATCH',
  'AUTHENTICATION_THROTTLED',
  'IP_NOT_ALLOWED',
  'KEY_PERMISSION_DENIED',
  'RATE_LIMITED',
  // x-on-behalf-of: malformed, or not an account of the key's platform and environment
  'INVALID_ON_BEHALF_OF',
  'ACCOUNT_NOT_FOUND',
];

/** The operator token gate (src/http/admin/operator-auth.ts). */
const operatorGate: readonly ErrorCode[] = ['OPERATOR_TOKEN_INVALID', 'AUTHENTICATION_THROTTLED'];

/** The JSON body parser (src/http/json-body.ts) and Fastify's body handling, for every method that may carry a body. */
const bodyParsing: readonly ErrorCode[] = ['INVALID_JSON', 'BODY_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE'];

/** src/http/idempotency.ts, for routes declared `idempotent`. */
const idempotency: readonly ErrorCode[] = ['INVALID_IDEMPOTENCY_KEY', 'IDEMPOTENCY_KEY_IN_USE', 'IDEMPOTENCY_KEY_REUSED'];

export function takesBody(method: string): boolean {
  return method === 'POST' || method === 'PUT' || method === 'PATCH' || method === 'DELETE';
}

/** The route as named in the capability catalogue and src/http/route-errors.ts: "POST /api/v1/payouts". */
export function routeName(method: string, url: string): string {
  return `${method} ${url.replace(/:(\w+)/g, '{$1}')}`;
}

/** Every code an operation can answer with, in catalogue status order. */
export function errorCodesOf(method: string, url: string, config: FastifyContextConfig | undefined): ErrorCode[] {
  const gate = gateOf(url);
  const codes = new Set<ErrorCode>(everyRequest);
  if (gate === 'api') {
    apiKeyGate.forEach((c) => codes.add(c));
    if (config?.scope === 'platform') codes.add('PLATFORM_SCOPE_REQUIRED');
    if (capabilitiesOfRoute(routeName(method, url)).length > 0) {
      codes.add('ACCOUNT_NOT_VERIFIED');
      codes.add('CAPABILITY_NOT_ACTIVATED');
    }
  }
  if (gate === 'operator') operatorGate.forEach((c) => codes.add(c));
  if (takesBody(method)) bodyParsing.forEach((c) => codes.add(c));
  if (config?.idempotent) idempotency.forEach((c) => codes.add(c));
  routeErrors[routeName(method, url)]?.forEach((c) => codes.add(c));
  config?.errors?.forEach((c) => codes.add(c));
  return [...codes].sort((a, b) => statusOf(a) - statusOf(b));
}

/**
 * The statuses an operation's errors come with: each code's own, and 400 for the codes a repeated header is answered
 * with (a repeated Authorization is 400 AUTHORIZATION_MALFORMED, see ApiError).
 */
export function errorStatusesOf(codes: readonly ErrorCode[]): Map<number, ErrorCode[]> {
  const byStatus = new Map<number, ErrorCode[]>();
  const add = (status: number, code: ErrorCode) => {
    const list = byStatus.get(status) ?? [];
    if (!list.includes(code)) list.push(code);
    byStatus.set(status, list);
  };
  const repeatable = new Set<ErrorCode>(Object.values(singleHeaders));
  for (const code of codes) {
    add(statusOf(code), code);
    if (repeatable.has(code)) add(400, code);
  }
  return new Map([...byStatus.entries()].sort(([a], [b]) => a - b));
}

const statusNames: Record<number, string> = {
  400: 'Bad request',
  401: 'Unauthenticated',
  403: 'Forbidden',
  404: 'Not found',
  409: 'Conflict',
  413: 'Body too large',
  415: 'Unsupported media type',
  422: 'Unprocessable: a business rule refused it',
  429: 'Too many requests',
  500: 'Internal error',
  503: 'Unavailable',
};

/** "Not found: `ACCOUNT_NOT_FOUND` (No such account.), …", the description of an error response. */
export function errorResponseDescription(status: number, codes: readonly ErrorCode[]): string {
  const name = statusNames[status] ?? `Status ${status}`;
  return `${name}. \`error.code\` is one of: ${codes.map((c) => `\`${c}\``).join(', ')}. See docs/errors.md.`;
}

/** The ratelimit-* headers every authenticated /api/v1 answer carries (src/http/rate-limit.ts), when limits are on. */
export const rateLimitHeaders = {
  'ratelimit-limit': { type: 'integer', minimum: 0, description: "The key's requests per minute in this route's rate-limit group." },
  'ratelimit-remaining': { type: 'integer', minimum: 0, description: 'Requests left in the current one-minute window.' },
  'ratelimit-reset': { type: 'integer', minimum: 0, description: 'Seconds until the window resets.' },
} as const;

export const retryAfterHeader = { type: 'integer', minimum: 0, description: 'Seconds to wait before retrying.' } as const;

/** The description of the rate-limit groups, from their catalogue, for the document's introduction. */
export function describeRateLimitGroups(): string {
  return Object.entries(rateLimitGroupCatalogue)
    .map(([group, entry]) => `\`${group}\` (${String((entry as { perMinute: number }).perMinute)}/min by default)`)
    .join(', ');
}

/** What to do about a code, for the descriptions that list them. */
export function remedyOf(code: ErrorCode): string {
  return errorEntry(code).remedy;
}
