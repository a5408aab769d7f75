// The columns that hold sealed values (src/lib/sealed.ts), the row each value is bound to, and the start-up pass that
// brings every row under the current key: plaintext left from before migration 0009, and rows of a rotated-out key.
import { sql } from 'kysely';
import { environments, type Environment } from '../lib/environments.ts';
import { sealedKeyId, type DataKeyring } from '../lib/sealed.ts';
import type { Database } from './database.ts';

/**
 * One entry per sealed column. `rowKey` names the columns whose values the envelope is bound to (its associated data),
 * `constraint` the CHECK (migration 0009) that refuses anything but an envelope in the column.
 */
export const sealedColumns = [
  { table: 'verifications', column: 'identity', rowKey: ['account_id'], constraint: 'verifications_identity_sealed' },
  // The stored answer of an idempotent POST is replayed byte for byte, and a KYC/KYB answer repeats the identity.
  { table: 'idempotency_keys', column: 'response_body', rowKey: ['platform_id', 'key'], constraint: 'idempotency_keys_response_sealed' },
  // Webhook signing secrets: PIK needs them in the clear to sign, so they are sealed rather than hashed.
  { table: 'webhook_endpoints', column: 'secret', rowKey: ['id'], constraint: 'webhook_endpoints_secret_sealed' },
  { table: 'webhook_endpoints', column: 'previous_secret', rowKey: ['id'], constraint: 'webhook_endpoints_previous_secret_sealed' },
] as const;

export type SealedColumn = (typeof sealedColumns)[number];

/** The associated data of one stored value: environment, column and row, unambiguous whatever the ids contain. */
export function sealContext(environment: Environment, column: SealedColumn, rowKey: readonly string[]): string {
  return JSON.stringify([environment, `${column.table}.${column.column}`, ...rowKey]);
}

export function identityContext(environment: Environment, accountId: string): string {
  return sealContext(environment, sealedColumns[0], [accountId]);
}

export function idempotencyResponseContext(environment: Environment, platformId: string, key: string): string {
  return sealContext(environment, sealedColumns[1], [platformId, key]);
}

export function webhookSecretContext(environment: Environment, endpointId: string, which: 'secret' | 'previous_secret'): string {
  return sealContext(environment, which === 'secret' ? sealedColumns[2] : sealedColumns[3], [endpointId]);
}

/** Rows are sealed under a key that is not configured: starting would leave them unreadable. */
export class UnknownDataKeyError extends Error {
  constructor(where: string, keyId: string) {
    super(
      `Rows of ${where} are sealed under data key ${keyId}, which is not configured. Set PIK_DATA_KEY to that key, or add it to PIK_DATA_KEYS_OLD.`,
    );
    this.name = 'UnknownDataKeyError';
  }
}

/** The database is sealed under a data key this process was not given: another process of the deployment uses it. */
export class DataKeyMismatchError extends Error {
  constructor(recordedKeyId: string, currentKeyId: string) {
    super(
      `This database's identity data is sealed under data key ${recordedKeyId}, and this process's PIK_DATA_KEY is key ${currentKeyId}: ` +
        'every server process of a deployment needs the same key. Start it with the key the others use (or, to rotate, the new key with the old one in PIK_DATA_KEYS_OLD).',
    );
    this.name = 'DataKeyMismatchError';
  }
}

/**
 * The deployment's data key, as the database records it (migration 0019): claimed by the first process that starts on
 * an empty record, so two processes started together with different keys cannot both go on to seal under their own.
 * A process that cannot open the recorded key refuses to start (DataKeyMismatchError).
 */
async function checkRecordedKey(db: Database, keyring: DataKeyring): Promise<string> {
  await sql`insert into core.data_key_record (id, key_id) values (true, ${keyring.currentKeyId}) on conflict (id) do nothing`.execute(db.core);
  const { rows } = await sql<{ key_id: string }>`select key_id from core.data_key_record where id`.execute(db.core);
  const recorded = (rows[0] as { key_id: string }).key_id;
  if (recorded !== keyring.currentKeyId && !keyring.canOpen(recorded)) throw new DataKeyMismatchError(recorded, keyring.currentKeyId);
  return recorded;
}

export interface SealReport {
  /** Rows that held plaintext (written before migration 0009) and are now sealed. */
  sealed: number;
  /** Rows moved from an old key to the current one. */
  resealed: number;
}

const batchSize = 200;

/**
 * Run at start, after the migrations and before serving: every value of every sealed column ends under the current
 * key, and each column's CHECK is then validated (migration 0009 adds them NOT VALID, since the rows it finds are
 * plaintext and the key is not known inside a migration). Safe to run from several processes at once, and resumable:
 * each row is replaced only if it still holds the value read (a resubmission meanwhile is newer and already sealed).
 */
export async function sealDataAtRest(db: Database, keyring: DataKeyring): Promise<SealReport> {
  const report: SealReport = { sealed: 0, resealed: 0 };
  const recorded = await checkRecordedKey(db, keyring);
  for (const environment of environments) {
    for (const column of sealedColumns) {
      const table = sql.table(`${environment}.${column.table}`);
      const value = sql.ref(column.column);
      const keys = column.rowKey.map((k) => sql.ref(k));
      const keyList = sql.join(keys);
      const currentPrefix = `v1:${keyring.currentKeyId}:`;
      let after: string[] | undefined;
      for (;;) {
        // Keyset order over the row key: each row is visited once even if another process keeps writing old-key rows.
        const page = await sql<Record<string, string>>`
          select ${keyList}, ${value} as value from ${table}
          where ${value} is not null and left(${value}, ${currentPrefix.length}) <> ${currentPrefix}
          ${after ? sql`and (${keyList}) > (${sql.join(after)})` : sql``}
          order by ${keyList} limit ${batchSize}
        `.execute(db.core);
        for (const row of page.rows) {
          const rowKey = column.rowKey.map((k) => row[k] as string);
          const stored = row.value as string;
          const context = sealContext(environment, column, rowKey);
          const keyId = sealedKeyId(stored);
          if (keyId !== undefined && !keyring.canOpen(keyId)) throw new UnknownDataKeyError(`${environment}.${column.table}.${column.column}`, keyId);
          const replacement = keyring.seal(keyId === undefined ? stored : keyring.open(stored, context), context);
          const match = sql.join(
            column.rowKey.map((k, i) => sql`${sql.ref(k)} = ${rowKey[i]}`),
            sql` and `,
          );
          await sql`update ${table} set ${value} = ${replacement} where ${match} and ${value} = ${stored}`.execute(db.core);
          if (keyId === undefined) report.sealed++;
          else report.resealed++;
        }
        if (page.rows.length < batchSize) break;
        const last = page.rows.at(-1) as Record<string, string>;
        after = column.rowKey.map((k) => last[k] as string);
      }
      // From here on the CHECK covers every row, not only those written since migration 0009.
      const pending = await sql<{ conname: string }>`
        select c.conname from pg_constraint c join pg_namespace n on n.oid = c.connamespace
        where n.nspname = ${environment} and c.conname = ${column.constraint} and not c.convalidated
      `.execute(db.core);
      if (pending.rows.length > 0) await sql`alter table ${table} validate constraint ${sql.id(column.constraint)}`.execute(db.core);
    }
  }
  // Everything is under the current key now: a rotation is complete, and processes given only the old key stop starting.
  if (recorded !== keyring.currentKeyId) {
    await sql`update core.data_key_record set key_id = ${keyring.currentKeyId}, recorded_at = now() where id`.execute(db.core);
  }
  return report;
}
