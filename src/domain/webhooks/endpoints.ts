// Webhook endpoints: a platform registers URLs per environment, each with the event types it wants and a signing
// secret shown once. Disabling or deleting an endpoint ends its pending deliveries (undelivered, redeliverable).
import { mergeMetadata, parseMetadata } from '../../lib/metadata.ts';
import type { Environment } from '../../lib/environments.ts';
import type { Tx } from '../../db/database.ts';
import type { EventRow, WebhookEndpointRow } from '../../db/schema.ts';
import { webhookSecretContext } from '../../db/sealed-columns.ts';
import type { UnitOfWork } from '../../db/unit-of-work.ts';
import { ApiError, invalidField } from '../../lib/errors.ts';
import { newId } from '../../lib/ids.ts';
import { generateWebhookSecret } from '../../lib/webhook-signature.ts';
import { webhookUrlProblem } from '../../lib/webhook-urls.ts';
import type { Deps } from '../deps.ts';
import { eventTypes } from '../event-types.ts';
import { recordEvent } from '../events.ts';
import type { AuditAction } from '../../lib/audit-actions.ts';
import { decodeCursor, toPage, type Page, type PageRequest } from '../paging.ts';
import { codePointLength } from '../../lib/text.ts';

/** Whose endpoints: a platform in one environment (the API key's, or the dashboard tab's). */
export interface WebhookOwner {
  platformId: string;
  environment: Environment;
}

export const maxEndpointsPerEnvironment = 16;
export const defaultRotationOverlapSeconds = 86_400;
export const maxRotationOverlapSeconds = 7 * 86_400;
const maxDescriptionLength = 500;
// eslint-disable-next-line no-control-regex
const controlCharacters = /[\u0000-\u001f\u007f]|\p{Cs}/u;

export interface EndpointInput {
  url: unknown;
  events: unknown;
  description?: unknown;
  metadata?: unknown;
}

export interface EndpointPatch {
  url?: unknown;
  events?: unknown;
  description?: unknown;
  status?: unknown;
  /** Merged into the stored metadata (src/lib/metadata.ts). */
  metadata?: unknown;
}

export interface EndpointWithSecret {
  endpoint: WebhookEndpointRow;
  secret: string;
}

/** Whether an endpoint subscribed to these types receives an event of this type (webhook.test goes by endpoint id). */
export function subscribesTo(subscribed: readonly string[], type: string): boolean {
  return type !== 'webhook.test' && (subscribed.includes('*') || subscribed.includes(type));
}

/** Whether an endpoint receives an event: the endpoint it is addressed to, or (a platform endpoint) by subscription. */
export function receivesEvent(endpoint: { id: string; events: readonly string[]; payment_link_id: string | null }, event: { type: string; endpoint_id: string | null }): boolean {
  // A payment link's hidden endpoint takes only the events addressed to it, whatever it lists.
  return endpoint.id === event.endpoint_id || (endpoint.payment_link_id === null && subscribesTo(endpoint.events, event.type));
}

/** A webhook URL by the rules of src/lib/webhook-urls.ts (also a payment link's webhook_url). */
export function parseWebhookUrl(deps: Pick<Deps, 'config'>, environment: Environment, value: unknown, field = 'url'): string {
  if (typeof value !== 'string' || value.trim() === '') throw invalidField(field, `${field} must be the https URL that receives the events.`);
  const url = value.trim();
  const problem = webhookUrlProblem(url, { environment, allowSandboxLoopback: deps.config.webhooks.allowSandboxLoopback });
  if (problem) {
    throw new ApiError('INVALID_WEBHOOK_URL', `This URL cannot receive webhooks: ${problem.reason}.`, { field, reason: problem.reason });
  }
  return url;
}

const parseUrl = (deps: Deps, environment: Environment, value: unknown): string => parseWebhookUrl(deps, environment, value);

/** ["*"], or event type names of the catalogue; an unknown one is named, with the list of valid ones. */
export function parseEventTypes(value: unknown, field = 'events'): string[] {
  if (!Array.isArray(value) || value.length === 0 || value.some((v) => typeof v !== 'string')) {
    throw invalidField(field, `${field} must be a non-empty array of event types, or ["*"] for every type.`);
  }
  const names = [...new Set(value as string[])];
  if (names.includes('*')) {
    if (names.length > 1) throw invalidField(field, `"*" already means every event type; send it alone.`);
    return ['*'];
  }
  const unknown = names.filter((n) => !(eventTypes as readonly string[]).includes(n));
  if (unknown.length > 0) {
    throw new ApiError('UNKNOWN_EVENT_TYPE', `Unknown event type${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}.`, { field, unknown, valid: [...eventTypes] });
  }
  return names;
}

function parseDescription(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' || codePointLength(value) > maxDescriptionLength || controlCharacters.test(value)) {
    throw invalidField('description', `description must be text of at most ${maxDescriptionLength} characters, without control characters.`);
  }
  return value.trim() === '' ? null : value.trim();
}

function sealSecret(deps: Deps, environment: Environment, endpointId: string, which: 'secret' | 'previous_secret', secret: string): string {
  return deps.dataKeys.seal(secret, webhookSecretContext(environment, endpointId, which));
}

/** The endpoint's live signing secrets, newest first: the current one, and the previous one while it still signs. */
export function openSecrets(deps: Pick<Deps, 'dataKeys'>, environment: Environment, endpoint: Pick<WebhookEndpointRow, 'id' | 'secret' | 'previous_secret' | 'previous_secret_expires_at'>, now: Date): string[] {
  const secrets = [deps.dataKeys.open(endpoint.secret, webhookSecretContext(environment, endpoint.id, 'secret'))];
  if (endpoint.previous_secret !== null && endpoint.previous_secret_expires_at !== null && endpoint.previous_secret_expires_at > now) {
    secrets.push(deps.dataKeys.open(endpoint.previous_secret, webhookSecretContext(environment, endpoint.id, 'previous_secret')));
  }
  return secrets;
}

export async function createEndpoint(deps: Deps, work: UnitOfWork, owner: WebhookOwner, input: EndpointInput): Promise<EndpointWithSecret> {
  const url = parseUrl(deps, owner.environment, input.url);
  const events = parseEventTypes(input.events);
  const description = parseDescription(input.description);
  const metadata = parseMetadata(input.metadata);
  const tx = await work.transaction();
  const db = tx.env(owner.environment);
  // The platform's own account row serialises the creates of one platform, so two at once cannot both be the 16th.
  await db.selectFrom('accounts').select('id').where('platform_id', '=', owner.platformId).where('type', '=', 'platform').forUpdate().execute();
  const count = await db
    .selectFrom('webhook_endpoints')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('platform_id', '=', owner.platformId)
    .where('deleted_at', 'is', null)
    .where('payment_link_id', 'is', null)
    .executeTakeFirstOrThrow();
  if (Number(count.n) >= maxEndpointsPerEnvironment) throw new ApiError('WEBHOOK_ENDPOINT_LIMIT', undefined, { limit: maxEndpointsPerEnvironment });
  const created = await insertEndpoint(deps, db, owner, { url, description, events, paymentLinkId: null, metadata });
  const { endpoint } = created;
  auditEndpoint(work, owner, 'webhook_endpoint.created', endpoint, { url: endpoint.url, events: endpoint.events, description: endpoint.description });
  return created;
}

async function insertEndpoint(
  deps: Deps,
  db: ReturnType<Tx['env']>,
  owner: WebhookOwner,
  fields: { url: string; description: string | null; events: string[]; paymentLinkId: string | null; metadata?: Record<string, string> | null },
): Promise<EndpointWithSecret> {
  const id = newId('webhookEndpoint');
  const secret = generateWebhookSecret();
  const now = deps.now();
  const endpoint = await db
    .insertInto('webhook_endpoints')
    .values({
      id,
      platform_id: owner.platformId,
      url: fields.url,
      description: fields.description,
      events: fields.events,
      status: 'enabled',
      disabled_reason: null,
      secret: sealSecret(deps, owner.environment, id, 'secret', secret),
      previous_secret: null,
      previous_secret_expires_at: null,
      created_at: now,
      updated_at: now,
      payment_link_id: fields.paymentLinkId,
      metadata: fields.metadata ? JSON.stringify(fields.metadata) : null,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return { endpoint, secret };
}

/** An endpoint's audit entry: what changed, never its signing secret. */
function auditEndpoint(work: UnitOfWork, owner: WebhookOwner, action: AuditAction, endpoint: WebhookEndpointRow, details: Record<string, unknown>): void {
  work.audit({ action, platformId: owner.platformId, environment: owner.environment, targetType: 'webhook_endpoint', targetId: endpoint.id, details });
}

/**
 * The hidden endpoint of a payment link's webhook_url (docs/payment-links.md): it receives the events addressed to it
 * (the link's payment.* and payment_link.cancelled), is not among the platform's endpoints nor counts against their
 * limit, and signs with its own secret, shown once when the link is created. `url` was checked by parseWebhookUrl.
 */
export async function createPaymentLinkEndpoint(deps: Deps, tx: Tx, owner: WebhookOwner, paymentLinkId: string, url: string, events: string[]): Promise<EndpointWithSecret> {
  return insertEndpoint(deps, tx.env(owner.environment), owner, { url, description: `Payment link ${paymentLinkId}`, events, paymentLinkId });
}

/** The platform's endpoints in this environment, oldest first (the order they were added). */
export async function listEndpoints(deps: Deps, owner: WebhookOwner, page: PageRequest): Promise<Page<WebhookEndpointRow>> {
  const after = decodeCursor(page.cursor, 'webhookEndpoint');
  let query = deps.db.env(owner.environment).selectFrom('webhook_endpoints').selectAll().where('platform_id', '=', owner.platformId).where('deleted_at', 'is', null).where('payment_link_id', 'is', null);
  if (after) query = query.where('id', '>', after);
  return toPage(await query.orderBy('id').limit(page.limit + 1).execute(), page.limit);
}

export async function getEndpoint(deps: Deps, owner: WebhookOwner, endpointId: string): Promise<WebhookEndpointRow> {
  return findEndpoint(deps.db.env(owner.environment), owner, endpointId);
}

async function findEndpoint(db: ReturnType<Tx['env']>, owner: WebhookOwner, endpointId: string, lock = false): Promise<WebhookEndpointRow> {
  let query = db
    .selectFrom('webhook_endpoints')
    .selectAll()
    .where('id', '=', endpointId)
    .where('platform_id', '=', owner.platformId)
    .where('deleted_at', 'is', null)
    .where('payment_link_id', 'is', null);
  if (lock) query = query.forUpdate();
  const row = await query.executeTakeFirst();
  if (!row) throw new ApiError('WEBHOOK_ENDPOINT_NOT_FOUND', undefined, { endpoint_id: endpointId });
  return row;
}

/** Marks the endpoint's pending deliveries undelivered: they can be sent again with redeliver once it is enabled. */
async function endPendingDeliveries(tx: Tx, environment: Environment, endpointId: string, why: string): Promise<void> {
  await tx
    .env(environment)
    .updateTable('webhook_deliveries')
    .set({ status: 'undelivered', next_attempt_at: null, last_error: why })
    .where('endpoint_id', '=', endpointId)
    .where('status', '=', 'pending')
    .execute();
}

export async function updateEndpoint(deps: Deps, work: UnitOfWork, owner: WebhookOwner, endpointId: string, patch: EndpointPatch): Promise<WebhookEndpointRow> {
  const changes: Partial<Pick<WebhookEndpointRow, 'url' | 'events' | 'description' | 'status' | 'disabled_reason' | 'failing_since'>> & { metadata?: string | null } = {};
  // Checked before the transaction; merged into the stored value under the row lock below.
  if (patch.metadata !== undefined) mergeMetadata(null, patch.metadata);
  if (patch.url !== undefined) changes.url = parseUrl(deps, owner.environment, patch.url);
  if (patch.events !== undefined) changes.events = parseEventTypes(patch.events);
  if (patch.description !== undefined) changes.description = parseDescription(patch.description);
  if (patch.status !== undefined) {
    if (patch.status !== 'enabled' && patch.status !== 'disabled') throw invalidField('status', 'status must be "enabled" or "disabled".');
    changes.status = patch.status;
  }
  const tx = await work.transaction();
  const db = tx.env(owner.environment);
  const current = await findEndpoint(db, owner, endpointId, true);
  if (changes.status === 'enabled' && current.status === 'disabled') Object.assign(changes, { disabled_reason: null, failing_since: null });
  if (changes.status === 'disabled' && current.status === 'enabled') {
    changes.disabled_reason = 'platform';
    await endPendingDeliveries(tx, owner.environment, endpointId, 'the endpoint was disabled');
  }
  if (changes.status === current.status) delete changes.status;
  if (patch.metadata !== undefined) {
    const merged = mergeMetadata(current.metadata, patch.metadata);
    changes.metadata = merged === null ? null : JSON.stringify(merged);
  }
  const updated = await db
    .updateTable('webhook_endpoints')
    .set({ ...changes, updated_at: deps.now() })
    .where('id', '=', endpointId)
    .returningAll()
    .executeTakeFirstOrThrow();
  const changed = Object.fromEntries(
    (['url', 'events', 'description', 'status', 'metadata'] as const)
      .filter((f) => changes[f] !== undefined && JSON.stringify(current[f]) !== JSON.stringify(updated[f]))
      .map((f) => [f, { before: current[f], after: updated[f] }]),
  );
  if (Object.keys(changed).length > 0) auditEndpoint(work, owner, 'webhook_endpoint.updated', updated, changed);
  return updated;
}

export async function deleteEndpoint(deps: Deps, work: UnitOfWork, owner: WebhookOwner, endpointId: string): Promise<WebhookEndpointRow> {
  const tx = await work.transaction();
  const db = tx.env(owner.environment);
  await findEndpoint(db, owner, endpointId, true);
  await endPendingDeliveries(tx, owner.environment, endpointId, 'the endpoint was deleted');
  const now = deps.now();
  // The secrets of a deleted endpoint are never needed again: they are dropped, not kept sealed.
  const deleted = await db
    .updateTable('webhook_endpoints')
    .set({ deleted_at: now, updated_at: now, previous_secret: null, previous_secret_expires_at: null })
    .where('id', '=', endpointId)
    .returningAll()
    .executeTakeFirstOrThrow();
  auditEndpoint(work, owner, 'webhook_endpoint.deleted', deleted, { url: deleted.url });
  return deleted;
}

/**
 * A new secret; the one it replaces keeps signing alongside it for `expiresInSeconds` (0: it stops at once), so the
 * receiver can switch without missing a delivery. Rotating again during an overlap drops the oldest secret.
 */
export async function rotateEndpointSecret(deps: Deps, work: UnitOfWork, owner: WebhookOwner, endpointId: string, expiresInSeconds: unknown): Promise<EndpointWithSecret> {
  const overlap = expiresInSeconds === undefined ? defaultRotationOverlapSeconds : expiresInSeconds;
  if (typeof overlap !== 'number' || !Number.isInteger(overlap) || overlap < 0 || overlap > maxRotationOverlapSeconds) {
    throw invalidField('expires_in_seconds', `expires_in_seconds must be a whole number of seconds from 0 to ${maxRotationOverlapSeconds} (7 days).`);
  }
  const tx = await work.transaction();
  const db = tx.env(owner.environment);
  const current = await findEndpoint(db, owner, endpointId, true);
  const now = deps.now();
  const previous = deps.dataKeys.open(current.secret, webhookSecretContext(owner.environment, endpointId, 'secret'));
  const secret = generateWebhookSecret();
  const endpoint = await db
    .updateTable('webhook_endpoints')
    .set({
      secret: sealSecret(deps, owner.environment, endpointId, 'secret', secret),
      previous_secret: overlap > 0 ? sealSecret(deps, owner.environment, endpointId, 'previous_secret', previous) : null,
      previous_secret_expires_at: overlap > 0 ? new Date(now.getTime() + overlap * 1000) : null,
      updated_at: now,
    })
    .where('id', '=', endpointId)
    .returningAll()
    .executeTakeFirstOrThrow();
  auditEndpoint(work, owner, 'webhook_endpoint.secret_rotated', endpoint, { previous_secret_expires_at: endpoint.previous_secret_expires_at?.toISOString() ?? null });
  return { endpoint, secret };
}

/** Records a webhook.test event that goes to this endpoint only (whatever it subscribes to). */
export async function sendTestEvent(deps: Deps, work: UnitOfWork, owner: WebhookOwner, endpointId: string): Promise<EventRow> {
  const tx = await work.transaction();
  const endpoint = await findEndpoint(tx.env(owner.environment), owner, endpointId);
  if (endpoint.status !== 'enabled') throw new ApiError('WEBHOOK_ENDPOINT_DISABLED', undefined, { endpoint_id: endpointId });
  return recordEvent(
    work,
    owner.environment,
    {
      platformId: owner.platformId,
      accountId: owner.platformId,
      type: 'webhook.test',
      data: { endpoint_id: endpointId, message: 'A test event from PIK: if you can read this, your endpoint receives and can verify webhooks.' },
    },
    endpointId,
  );
}
