// Headers that carry exactly one value: a request that sends one of them twice is refused before anything reads it.
import type { FastifyInstance } from 'fastify';
import { ApiError, type ErrorCode } from '../lib/errors.ts';

/**
 * Every header the server (or Fastify for it) reads that must appear at most once, and the code a repeat is answered
 * with (always at 400): the header's own code where it has one, HEADER_REPEATED otherwise. A header added here is refused
 * when repeated on every path (test/single-headers.test.ts goes through this list).
 *
 * Node's request.headers cannot show a repeat: it keeps only the first Authorization, Content-Type, Content-Length or
 * Host and silently drops the rest, and joins other repeated headers with ", " (x-on-behalf-of, Idempotency-Key), which
 * can look like one legitimate value. So repeats are counted in the raw header lines, whatever their letter case.
 */
export const singleHeaders = {
  authorization: 'AUTHORIZATION_MALFORMED', // which of two keys would we authenticate? (Node would take the first)
  'x-on-behalf-of': 'INVALID_ON_BEHALF_OF', // the spec's code for a repeated header (§3)
  'idempotency-key': 'INVALID_IDEMPOTENCY_KEY', // joined, "a, b" would pass as one valid key
  'content-type': 'HEADER_REPEATED', // the body parser would choose by the first
  'content-length': 'HEADER_REPEATED',
  host: 'HEADER_REPEATED', // the dashboard's same-origin check reads it
  origin: 'HEADER_REPEATED', // the dashboard's same-origin check reads it
  'sec-fetch-site': 'HEADER_REPEATED', // joined, "cross-site, same-origin" would not read as cross-site
} as const satisfies Record<string, ErrorCode>;

export type SingleHeader = keyof typeof singleHeaders;

const names = Object.keys(singleHeaders) as SingleHeader[];
/** For each name length, the entries of that length: most header names of a request match none and cost one lookup. */
const candidatesByLength: number[][] = [];
names.forEach((name, index) => (candidatesByLength[name.length] ??= []).push(index));
/** The spellings clients send (lower case, and Capitalised-Words), found with one lookup; any other case is compared. */
const indexOfSpelling = new Map<string, number>();
names.forEach((name, index) => {
  indexOfSpelling.set(name, index);
  indexOfSpelling.set(name.replace(/(^|-)([a-z])/g, (_match, dash: string, letter: string) => dash + letter.toUpperCase()), index);
});

/**
 * Whether `name` is `lower` in any letter case, without allocating a lower-cased copy (this runs on every header of
 * every request). Setting bit 0x20 lower-cases an ASCII letter and leaves '-' and digits as they are; the characters
 * it would confuse with them are not allowed in a header name.
 */
function isSameName(name: string, lower: string): boolean {
  for (let i = 0; i < lower.length; i++) if ((name.charCodeAt(i) | 0x20) !== lower.charCodeAt(i)) return false;
  return true;
}

/** The first single-valued header that occurs more than once in Node's rawHeaders ([name, value, name, value, …]). */
export function findRepeatedHeader(rawHeaders: readonly string[]): SingleHeader | undefined {
  let seen = 0; // one bit per entry of singleHeaders
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] as string;
    const candidates = candidatesByLength[name.length];
    if (candidates === undefined) continue;
    let index = indexOfSpelling.get(name);
    for (let c = 0; index === undefined && c < candidates.length; c++) {
      if (isSameName(name, names[candidates[c] as number] as string)) index = candidates[c];
    }
    if (index === undefined) continue;
    const bit = 1 << index;
    if ((seen & bit) !== 0) return names[index];
    seen |= bit;
  }
  return undefined;
}

/**
 * On every request, before authentication (a repeated Authorization must not authenticate as either of its values)
 * and after the key-in-URL guard. The error goes through the error handler of the route's own context, so /api/v1 and
 * /admin/v1 answer in the API's error shape and the dashboard with its error page.
 */
export function registerSingleHeaders(app: FastifyInstance): void {
  app.addHook('onRequest', (request, _reply, done) => {
    const repeated = findRepeatedHeader(request.raw.rawHeaders);
    if (repeated === undefined) return done();
    // Always a 400, whatever the code: the request is malformed, not the credential (see ApiError).
    done(new ApiError(singleHeaders[repeated], `The ${repeated} header was sent more than once; send it once.`, { header: repeated }, { status: 400 }));
  });
}
