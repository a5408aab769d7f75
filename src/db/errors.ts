// Recognising PostgreSQL errors that the domain turns into business outcomes.

/** 23505: a unique index refused the row — the loser of a race, or a genuine duplicate. */
export function isUniqueViolation(error: unknown, indexName?: string): boolean {
  const e = error as { code?: string; constraint?: string } | null;
  return e?.code === '23505' && (indexName === undefined || e.constraint === indexName);
}
