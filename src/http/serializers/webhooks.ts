// Webhook endpoints, their deliveries and the events as the API shows them: snake_case, ISO times, secrets only once.
import Type from 'typebox';
import { webhookDeliveryStatuses, webhookEndpointStatuses, type EventRow, type WebhookEndpointRow } from '../../db/schema.ts';
import type { DeliveryWithAttempts } from '../../domain/webhooks/event-log.ts';
import { eventTypes } from '../../domain/event-types.ts';
import { environments, type Environment } from '../../lib/environments.ts';
import { MetadataSchema, nullable, stringEnum } from '../schemas.ts';

const DateTime = Type.String({ format: 'date-time' });

export const WebhookEndpointSchema = Type.Object({
  id: Type.String({ description: 'we_…' }),
  object: Type.Literal('webhook_endpoint'),
  url: Type.String(),
  description: nullable(Type.String()),
  events: Type.Array(Type.String(), { description: 'Event types this endpoint receives, or ["*"] for every type.' }),
  status: stringEnum(webhookEndpointStatuses),
  disabled_reason: nullable(stringEnum(['platform', 'failing'] as const, { description: 'platform: disabled by you; failing: by PIK after every delivery failed for days.' })),
  environment: stringEnum(environments),
  secret_rotation: nullable(
    Type.Object({ previous_secret_expires_at: DateTime }, { description: 'While set, every delivery is signed with the new and the previous secret.' }),
  ),
  metadata: MetadataSchema,
  created_at: DateTime,
  updated_at: DateTime,
});

export const WebhookEndpointWithSecretSchema = Type.Object({
  ...WebhookEndpointSchema.properties,
  secret: Type.String({ description: 'whsec_…: the signing secret. Shown in this response only; store it now.' }),
});

export function serializeEndpoint(environment: Environment, row: WebhookEndpointRow, now: Date) {
  const rotating = row.previous_secret !== null && row.previous_secret_expires_at !== null && row.previous_secret_expires_at > now;
  return {
    id: row.id,
    object: 'webhook_endpoint' as const,
    url: row.url,
    description: row.description,
    events: row.events,
    status: row.status,
    disabled_reason: row.disabled_reason,
    environment,
    secret_rotation: rotating ? { previous_secret_expires_at: (row.previous_secret_expires_at as Date).toISOString() } : null,
    metadata: row.metadata ?? {},
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

export const EventSchema = Type.Object({
  id: Type.String({ description: 'evt_…' }),
  object: Type.Literal('event'),
  type: stringEnum(eventTypes),
  created_at: DateTime,
  environment: stringEnum(environments),
  account_id: Type.String({ description: 'The account the event is about: a connected account, or the platform itself.' }),
  data: Type.Record(Type.String(), Type.Unknown(), { description: "The type's data; its schema is in the document's webhooks section." }),
});

export function serializeEvent(environment: Environment, row: EventRow) {
  return {
    id: row.id,
    object: 'event' as const,
    type: row.type as (typeof eventTypes)[number],
    created_at: row.created_at.toISOString(),
    environment,
    account_id: row.account_id,
    data: row.data,
  };
}

const AttemptSchema = Type.Object({
  id: Type.String({ description: 'wa_…' }),
  number: Type.Integer({ minimum: 1 }),
  started_at: DateTime,
  duration_ms: Type.Integer(),
  status_code: nullable(Type.Integer({ description: "The receiver's HTTP status; null when no answer came." })),
  error: nullable(Type.String({ description: 'Why no answer came: timed out, connection refused, address refused…' })),
  response_body: nullable(Type.String({ description: "The first 1 KB of the receiver's answer." })),
  next_attempt_at: nullable(DateTime),
});

export const DeliverySchema = Type.Object({
  id: Type.String({ description: 'wd_…: the webhook-id header, the same on every attempt of this event to this endpoint.' }),
  object: Type.Literal('webhook_delivery'),
  endpoint_id: Type.String(),
  event_id: Type.String(),
  event_type: Type.String(),
  status: stringEnum(webhookDeliveryStatuses),
  attempt_count: Type.Integer(),
  next_attempt_at: nullable(DateTime),
  created_at: DateTime,
  delivered_at: nullable(DateTime),
  attempts: Type.Array(AttemptSchema),
});

export function serializeDelivery(row: DeliveryWithAttempts) {
  return {
    id: row.id,
    object: 'webhook_delivery' as const,
    endpoint_id: row.endpoint_id,
    event_id: row.event_id,
    event_type: row.event_type,
    status: row.status,
    attempt_count: row.attempt_count,
    next_attempt_at: row.status === 'pending' ? (row.next_attempt_at?.toISOString() ?? null) : null,
    created_at: row.created_at.toISOString(),
    delivered_at: row.delivered_at?.toISOString() ?? null,
    attempts: row.attempts.map((a) => ({
      id: a.id,
      number: a.number,
      started_at: a.started_at.toISOString(),
      duration_ms: a.duration_ms,
      status_code: a.status_code,
      error: a.error,
      response_body: a.response_body,
      next_attempt_at: a.next_attempt_at?.toISOString() ?? null,
    })),
  };
}
