// Leak reports in the format of GitHub's secret-scanning partner programme: each reported token that is one of our
// keys (checksum valid, key exists) is marked exposed — and deleted, with PIK_LEAKED_KEY_ACTION=revoke.
import { hashApiKey, parseApiKey } from '../../lib/api-key.ts';
import type { UnitOfWork } from '../../db/unit-of-work.ts';
import { ApiError } from '../../lib/errors.ts';
import type { Deps } from '../deps.ts';
import { markApiKeyExposed } from './api-keys.ts';

export interface LeakReportItem {
  token: string;
  type: string;
  url: string;
  source: string;
}

export interface LeakReportAnswer {
  token_raw: string;
  token_type: string;
  label: 'true_positive' | 'false_positive';
}

/** The report's body, already JSON-parsed: a non-empty array of {token, type, url, source} strings, else 400. */
export function parseLeakReport(body: unknown): LeakReportItem[] {
  if (!Array.isArray(body) || body.length === 0) throw new ApiError('INVALID_REQUEST', 'A report is a non-empty JSON array of {token, type, url, source}.', { field: 'body' });
  return body.map((item: unknown, index) => {
    const fields = (item ?? {}) as Record<string, unknown>;
    for (const name of ['token', 'type', 'url', 'source'] as const) {
      const value = fields[name];
      if (typeof value !== 'string' || value.length > (name === 'token' ? 200 : 2000) || (name !== 'url' && value.length === 0)) {
        throw new ApiError('INVALID_REQUEST', `[${index}].${name} must be a string.`, { field: `[${index}].${name}` });
      }
    }
    return { token: fields.token as string, type: fields.type as string, url: fields.url as string, source: fields.source as string };
  });
}

/**
 * Answers each token (GitHub's response: token_raw, token_type, label). Everything is in one unit of work: the keys
 * marked exposed, their events and audit entries, and the deletions commit together, or none does.
 */
export async function handleLeakReport(deps: Deps, work: UnitOfWork, items: readonly LeakReportItem[], action: 'flag' | 'revoke'): Promise<LeakReportAnswer[]> {
  const answers: LeakReportAnswer[] = [];
  for (const item of items) {
    let found = false;
    // The checksum first: a string that is not a well-formed key costs no query (the point of the checksum).
    if (parseApiKey(item.token).ok) {
      const url = item.url.length > 0 ? item.url : null;
      found = (await markApiKeyExposed(deps, work, hashApiKey(item.token), { source: 'secret_scanning', url, revoke: action === 'revoke' })) !== undefined;
    }
    answers.push({ token_raw: item.token, token_type: item.type, label: found ? 'true_positive' : 'false_positive' });
  }
  return answers;
}
