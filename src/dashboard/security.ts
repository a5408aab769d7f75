// The dashboard's browser-facing defences: cookie attributes, CSRF tokens, and the security headers on every response.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

export interface CookieNames {
  session: string;
  csrf: string;
  isSecure: boolean;
}

/** Over HTTPS the __Host- prefix makes the browser refuse the cookie unless it is Secure, host-only and Path=/. */
export function cookieNames(publicUrl: string): CookieNames {
  const isSecure = publicUrl.startsWith('https://');
  return isSecure
    ? { session: '__Host-pik_session', csrf: '__Host-pik_csrf', isSecure }
    : { session: 'pik_session', csrf: 'pik_csrf', isSecure };
}

export function cookieOptions(names: CookieNames, maxAgeSeconds?: number) {
  return {
    path: '/',
    httpOnly: true,
    sameSite: 'lax' as const,
    secure: names.isSecure,
    ...(maxAgeSeconds === undefined ? {} : { maxAge: maxAgeSeconds }),
  };
}

/**
 * The CSRF token for a form. Signed-in: derived from the session token, so it needs no storage and dies with the
 * session. Signed out (sign-in, set-password): derived from a random pre-session cookie (double submit).
 * Either way a page on another site can neither read the cookie nor compute the token.
 */
export function csrfTokenFor(secret: string): string {
  return createHmac('sha256', secret).update('pik-dashboard-csrf').digest('base64url');
}

export function newCsrfSecret(): string {
  return randomBytes(32).toString('base64url');
}

export function isCsrfTokenValid(secret: string | undefined, submitted: unknown): boolean {
  if (!secret || typeof submitted !== 'string' || submitted.length === 0 || submitted.length > 100) return false;
  const expected = Buffer.from(csrfTokenFor(secret));
  const given = Buffer.from(submitted);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/** A second, header-based line of defence: browsers say where a request came from. */
export function isCrossSite(request: FastifyRequest, publicUrl: string): boolean {
  if (request.headers['sec-fetch-site'] === 'cross-site') return true;
  const origin = request.headers.origin;
  if (origin === undefined) return false;
  const allowed = new Set([new URL(publicUrl).origin]);
  if (request.headers.host) allowed.add(`${request.protocol}://${request.headers.host}`);
  return !allowed.has(origin);
}

/** `imageOrigins`: other origins a page may show images from (a payment link's merchant logo), each exactly. */
function contentSecurityPolicy(imageOrigins: readonly string[] = []): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    ["img-src 'self' data:", ...imageOrigins].join(' '),
    "connect-src 'self'",
    "font-src 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ');
}

export function applySecurityHeaders(reply: FastifyReply, isSecure: boolean, options: { imageOrigins?: readonly string[] } = {}): void {
  reply.header('content-security-policy', contentSecurityPolicy(options.imageOrigins));
  reply.header('x-content-type-options', 'nosniff');
  reply.header('x-frame-options', 'DENY');
  // The set-password page carries its token in the URL: never send a referrer to another site. ('no-referrer' would
  // also make browsers send "Origin: null" on our own forms, defeating the origin check.)
  reply.header('referrer-policy', 'same-origin');
  reply.header('cross-origin-opener-policy', 'same-origin');
  reply.header('cross-origin-resource-policy', 'same-origin');
  reply.header('permissions-policy', 'camera=(), microphone=(), geolocation=(), payment=(), usb=()');
  if (isSecure) reply.header('strict-transport-security', 'max-age=31536000; includeSubDomains');
}
