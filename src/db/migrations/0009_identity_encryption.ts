// Identity data at rest is sealed (AES-256-GCM envelopes, src/lib/sealed.ts): verifications.identity becomes text that
// must hold an envelope, and so must the stored answers of idempotent requests (a KYC answer repeats the identity).
//
// The key is not known inside a migration, so this one only changes the columns and adds the CHECKs NOT VALID: they
// hold for every row written from now on, while the rows already there (plaintext) are sealed by the first start
// after it (sealDataAtRest in src/db/sealed-columns.ts, run by src/main.ts), which then validates the CHECKs.
import { sql, type Kysely } from 'kysely';
import { environments } from '../../lib/environments.ts';

// The envelope as lib/sealed.ts writes it, frozen here as this migration's rule: version, key id, base64url body.
const envelope = '^v1:[A-Za-z0-9_-]{8}:[A-Za-z0-9_-]+$';

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const schema of environments) {
    const s = sql.id(schema);
    await sql`
      alter table ${s}.verifications alter column identity type text using identity::text;
      comment on column ${s}.verifications.identity is
        'The normalised identity as JSON, sealed: v1:<key id>:<nonce|ciphertext|tag>, bound to the environment and account id.';
      alter table ${s}.verifications add constraint verifications_identity_sealed check (identity ~ ${sql.lit(envelope)}) not valid;

      alter table ${s}.idempotency_keys add constraint idempotency_keys_response_sealed
        check (response_body is null or response_body ~ ${sql.lit(envelope)}) not valid;
    `.execute(db);
  }
}
