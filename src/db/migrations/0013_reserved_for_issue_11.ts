// PLACEHOLDER, NOT FOR MERGING: migration 0013 belongs to a parallel branch (issue 11). This empty file only keeps the
// numbering gap-free so 0014 runs on this branch; drop this commit when merging after the branch that owns 0013.
import type { Kysely } from 'kysely';

export async function up(_db: Kysely<unknown>): Promise<void> {}
