// Cursor paging over time-sortable ids: the cursor is an opaque wrapper around the last id of the page.
import { isId, type IdKind } from '../lib/ids.ts';
import { ApiError } from '../lib/errors.ts';

export interface PageRequest {
  limit: number;
  cursor?: string | undefined;
}

export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

export function decodeCursor(cursor: string | undefined, kind: IdKind): string | undefined {
  if (cursor === undefined) return undefined;
  const id = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!isId(kind, id)) throw new ApiError('INVALID_CURSOR');
  return id;
}

/** Takes rows fetched with limit + 1, so "is there another page" costs no extra query. */
export function toPage<T extends { id: string }>(rows: T[], limit: number): Page<T> {
  const data = rows.slice(0, limit);
  const last = data.at(-1);
  return { data, nextCursor: rows.length > limit && last ? Buffer.from(last.id, 'utf8').toString('base64url') : null };
}
