// Webhooks: endpoints a platform registers, the deliveries of each event to each endpoint, and every attempt made.
// The outbox (events) gains the mark the delivery worker sets once it has fanned an event out to deliveries.
import { sql, type Kysely } from 'kysely';
import { environments } from '../../lib/environments.ts';

const sealed = (column: string) => sql.raw(`${column} ~ '^v1:[A-Za-z0-9_-]{8}:[A-Za-z0-9_-]+$'`);

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const schema of environments) {
    const s = sql.id(schema);
    await sql`
      -- null until the worker has turned the event into one delivery per subscribed endpoint. Events recorded before
      -- webhooks existed had no endpoint to go to: they count as dispatched.
      alter table ${s}.events add column dispatched_at timestamptz;
      update ${s}.events set dispatched_at = created_at;
      -- Set only on a webhook.test event: it goes to this one endpoint, whatever the endpoint subscribes to.
      alter table ${s}.events add column endpoint_id text;
      create index events_undispatched on ${s}.events (id) where dispatched_at is null;
      create index events_platform_type on ${s}.events (platform_id, type, id);
      create index events_platform_account on ${s}.events (platform_id, account_id, id);

      create table ${s}.webhook_endpoints (
        id text primary key,
        platform_id text not null,
        url text not null,
        description text,
        events text[] not null check (cardinality(events) > 0),
        status text not null check (status in ('enabled', 'disabled')),
        -- who disabled it: the platform (API, dashboard) or PIK, after every delivery failed for days
        disabled_reason text check (disabled_reason in ('platform', 'failing')),
        -- the signing secrets, sealed with the data key like identity data (src/db/sealed-columns.ts)
        secret text not null constraint webhook_endpoints_secret_sealed check (${sealed('secret')}),
        previous_secret text constraint webhook_endpoints_previous_secret_sealed check (previous_secret is null or ${sealed('previous_secret')}),
        previous_secret_expires_at timestamptz,
        -- the first failure of the current run of failures; null after any success
        failing_since timestamptz,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        deleted_at timestamptz,
        constraint webhook_endpoints_disabled_has_reason check ((status = 'disabled') = (disabled_reason is not null))
      );
      create index webhook_endpoints_platform on ${s}.webhook_endpoints (platform_id, id) where deleted_at is null;

      create table ${s}.webhook_deliveries (
        id text primary key, -- the webhook-id header: the same on every attempt of this event to this endpoint
        event_id text not null references ${s}.events(id),
        endpoint_id text not null references ${s}.webhook_endpoints(id),
        platform_id text not null,
        status text not null check (status in ('pending', 'delivered', 'undelivered')),
        attempt_count integer not null default 0,
        -- pending: when the next attempt is due, or, while an attempt runs, when its claim lapses (a crashed worker's
        -- delivery becomes due again then)
        next_attempt_at timestamptz,
        last_attempt_at timestamptz,
        last_status_code integer,
        last_error text,
        created_at timestamptz not null default now(),
        delivered_at timestamptz,
        constraint webhook_deliveries_pending_is_due check ((status = 'pending') = (next_attempt_at is not null))
      );
      create unique index webhook_deliveries_event_endpoint on ${s}.webhook_deliveries (event_id, endpoint_id);
      create index webhook_deliveries_due on ${s}.webhook_deliveries (next_attempt_at) where status = 'pending';
      create index webhook_deliveries_endpoint on ${s}.webhook_deliveries (endpoint_id, id);

      create table ${s}.webhook_attempts (
        id text primary key,
        delivery_id text not null references ${s}.webhook_deliveries(id),
        endpoint_id text not null,
        platform_id text not null,
        number integer not null,
        started_at timestamptz not null,
        duration_ms integer not null,
        status_code integer,
        error text,
        response_body text,
        -- when the next attempt was scheduled after this one; null once delivered or given up
        next_attempt_at timestamptz
      );
      create index webhook_attempts_delivery on ${s}.webhook_attempts (delivery_id, number);
    `.execute(db);
  }
}
