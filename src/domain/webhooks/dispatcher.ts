// The delivery worker, in every server process: fans events out to deliveries, claims due deliveries, sends them,
// records every attempt and schedules the next. Several processes share the work through row locks (SKIP LOCKED) and a
// lease on each claimed delivery; a crashed process's deliveries come due again when their lease lapses. At least once:
// a receiver may see a delivery twice (deduplicate on webhook-id), never zero times.
import { sql } from 'kysely';
import type { Database } from '../../db/database.ts';
import type { EnvDb } from '../../db/schema.ts';
import { runUnitOfWork, type UnitOfWork } from '../../db/unit-of-work.ts';
import { outboxChannel } from '../../db/outbox-signal.ts';
import type { Environment } from '../../lib/environments.ts';
import { isEnvironment } from '../../lib/environments.ts';
import { newId } from '../../lib/ids.ts';
import { signDelivery } from '../../lib/webhook-signature.ts';
import type { Deps } from '../deps.ts';
import { recordEvent } from '../events.ts';
import { openSecrets, receivesEvent } from './endpoints.ts';

import type { AttemptResult, WebhookRequest } from './transport.ts';

export type { AttemptResult };

/** How attempts reach receivers: WebhookTransport (transport.ts), or a stand-in in tests. */
export interface DeliveryTransport {
  send(request: WebhookRequest): Promise<AttemptResult>;
  close(): Promise<void>;
}

export interface DispatcherOptions {
  /** The transport for an environment's receivers (production refuses loopback; sandbox may allow it). */
  transportFor: (environment: Environment) => DeliveryTransport;
  onError: (error: unknown) => void;
  /** A delivery succeeded (recorded as delivered): seconds from its event's creation to the answer (for /metrics). */
  onDelivered?: (environment: Environment, secondsSinceEvent: number) => void;
  /** Attempts in flight in this process, all endpoints together. */
  concurrency?: number;
  /**
   * Attempts in flight in this process to one endpoint at first: a slow or dead endpoint holds at most these slots.
   * An endpoint that answers 2xx earns one more slot per success, up to four times this; each failure halves its slots.
   */
  perEndpoint?: number;
  /** Deliveries this process holds claimed (in flight and queued behind its endpoint's attempts), all together. */
  maxClaimed?: number;
  /**
   * Connections of the worker's own (PostgreSQL): with the request pool's, a busy API would make every claim and every
   * result wait behind the requests. Defaults to the deps' database (PGlite has one connection anyway).
   */
  db?: Database;
}

/** A delivery this process has claimed and is about to attempt. */
interface Claimed {
  environment: Environment;
  id: string;
  endpointId: string;
  platformId: string;
  url: string;
  secrets: string[];
  body: string;
  /** The attempt's number, from 1. */
  number: number;
  /** The lease written into next_attempt_at when claimed: the result is written only while it still holds. */
  lease: Date;
  eventCreatedAt: Date;
}

interface Finished {
  delivery: Claimed;
  startedAt: Date;
  result: AttemptResult;
}

const fanOutBatch = 200;
// The most deliveries of one endpoint a process holds claimed, however fast the endpoint answers.
const maxQueuedPerEndpoint = 512;
// How long a commit's wake-up waits for others to join it (wakeSoon).
const wakeDelayMs = 10;
// Retry-After is honoured when longer than the schedule, up to this: a receiver cannot park a delivery for a month.
const maxRetryAfterMs = 7 * 86_400_000;
const responseBodyLimit = 1024;

/** The delivery body: the event as the platform's endpoint receives it (spec §6). */
export function deliveryBody(environment: Environment, event: { id: string; type: string; created_at: Date; account_id: string; data: unknown }): string {
  return JSON.stringify({
    event_id: event.id,
    object: 'event',
    type: event.type,
    created_at: event.created_at.toISOString(),
    environment,
    account_id: event.account_id,
    data: event.data,
  });
}

/**
 * What happens after attempt `number`: delivered on a 2xx; otherwise the next retry of the schedule (or the receiver's
 * Retry-After when longer), or undelivered once the schedule is used up.
 */
export function nextStep(number: number, result: AttemptResult, scheduleMs: readonly number[], now: Date): { status: 'delivered' | 'pending' | 'undelivered'; nextAttemptAt: Date | null } {
  if (result.statusCode !== null && result.statusCode >= 200 && result.statusCode < 300) return { status: 'delivered', nextAttemptAt: null };
  const wait = scheduleMs[number - 1];
  if (wait === undefined) return { status: 'undelivered', nextAttemptAt: null };
  const delay = Math.max(wait, Math.min(result.retryAfterMs ?? 0, maxRetryAfterMs));
  return { status: 'pending', nextAttemptAt: new Date(now.getTime() + delay) };
}

export class WebhookDispatcher {
  private readonly concurrency: number;
  private readonly perEndpoint: number;
  private readonly maxClaimed: number;
  /** Each endpoint's attempts-in-flight limit here, where it differs from perEndpoint (additive increase, halving). */
  private readonly slots = new Map<string, number>();
  /** Each endpoint's recent attempt duration (ms, a moving average): how deep its queue here may be (quota). */
  private readonly durations = new Map<string, number>();
  private readonly inFlightByEndpoint = new Map<string, number>();
  private readonly waiting = new Map<string, Claimed[]>();
  private readonly sending = new Set<Promise<void>>();
  private inFlight = 0;
  private readonly pumping = new Set<Environment>();
  private readonly pumpAgain = new Set<Environment>();
  /** Environments whose last claim came back full: more may be due, so a freed slot claims again at once. */
  private readonly backlog = new Set<Environment>();
  private readonly finished = new Map<Environment, Finished[]>();
  private flushing: Promise<void> | undefined;
  private flushTimer: NodeJS.Timeout | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryAt = Infinity;
  private readonly cleanups: (() => Promise<void> | void)[] = [];
  private readonly soon = new Map<Environment, NodeJS.Timeout>();
  private readonly db: Database;
  private stopped = false;

  constructor(
    private readonly deps: Deps,
    private readonly options: DispatcherOptions,
  ) {
    this.concurrency = options.concurrency ?? 64;
    this.perEndpoint = options.perEndpoint ?? 8;
    this.maxClaimed = options.maxClaimed ?? 2048;
    this.db = options.db ?? deps.db;
  }

  private get environments(): readonly Environment[] {
    return this.deps.config.environments;
  }

  async start(): Promise<void> {
    // This process's commits (the requests' database, and the worker's own for the events it records itself).
    for (const db of new Set([this.deps.db, this.db])) this.cleanups.push(db.outbox.subscribe((environment) => this.wakeSoon(environment)));
    if (this.db.kind === 'postgres') {
      // Other processes' commits; a gap in the subscription only delays work to the next poll.
      const stop = await this.db.listen(outboxChannel, (payload) => {
        if (isEnvironment(payload)) this.wakeSoon(payload);
      });
      this.cleanups.push(stop);
    }
    const poll = (): void => {
      for (const environment of this.environments) this.wake(environment);
    };
    this.pollTimer = setInterval(poll, this.deps.config.webhooks.pollMs);
    this.pollTimer.unref();
    poll();
  }

  /**
   * A commit recorded events: look within a few milliseconds. Under load hundreds of commits a second arrive; one pump
   * for all that arrived meanwhile costs one fan-out transaction and one claim instead of one per commit.
   */
  private wakeSoon(environment: Environment): void {
    if (this.stopped || this.soon.has(environment)) return;
    this.soon.set(
      environment,
      setTimeout(() => {
        this.soon.delete(environment);
        this.wake(environment);
      }, wakeDelayMs),
    );
  }

  /** Looks for work in the environment now: on the poll, after a commit (wakeSoon), and when an attempt ends. */
  wake(environment: Environment): void {
    if (this.stopped || !this.environments.includes(environment)) return;
    if (this.pumping.has(environment)) {
      this.pumpAgain.add(environment);
      return;
    }
    this.pumping.add(environment);
    void this.pump(environment)
      .catch((error: unknown) => this.options.onError(error))
      .finally(() => {
        this.pumping.delete(environment);
        if (this.pumpAgain.delete(environment)) this.wake(environment);
      });
  }

  /** Room for more claimed deliveries in this process: in flight and queued together stay within maxClaimed. */
  private get freeSlots(): number {
    let queued = 0;
    for (const queue of this.waiting.values()) queued += queue.length;
    return this.maxClaimed - this.inFlight - queued;
  }

  /**
   * How many deliveries of the endpoint this process may hold (in flight and queued). A claimed delivery must be
   * attempted before its lease lapses, so the queue is as deep as the endpoint, at its slots' attempts at a time,
   * works through in the lease's spare time (lease − timeout): deep for a receiver that answers in milliseconds, a
   * single round for one that times out. An endpoint not yet heard from gets one round.
   */
  private quota(endpointId: string): number {
    const duration = this.durations.get(endpointId);
    const slots = this.slotsOf(endpointId);
    if (duration === undefined) return slots;
    const rounds = Math.floor(this.queueBudgetMs / Math.max(duration, 1));
    return Math.max(slots, Math.min(maxQueuedPerEndpoint, slots * rounds));
  }

  /** How many attempts to the endpoint may be in flight here now. */
  private slotsOf(endpointId: string): number {
    return this.slots.get(endpointId) ?? this.perEndpoint;
  }

  /** A 2xx earns the endpoint one more slot (up to 4 × perEndpoint); anything else halves them (at least one). */
  private noteOutcome(endpointId: string, delivered: boolean): void {
    const now = this.slotsOf(endpointId);
    const next = delivered ? Math.min(now + 1, this.perEndpoint * 4) : Math.max(1, Math.floor(now / 2));
    if (next === this.perEndpoint) this.slots.delete(endpointId);
    else {
      if (!this.slots.has(endpointId) && this.slots.size >= 10_000) this.slots.delete(this.slots.keys().next().value as string);
      this.slots.set(endpointId, next);
    }
  }

  private get queueBudgetMs(): number {
    return Math.max(this.deps.config.webhooks.timeoutMs, 5000);
  }

  private noteDuration(endpointId: string, durationMs: number): void {
    const previous = this.durations.get(endpointId);
    if (previous === undefined && this.durations.size >= 10_000) this.durations.delete(this.durations.keys().next().value as string);
    this.durations.set(endpointId, previous === undefined ? durationMs : previous * 0.8 + durationMs * 0.2);
  }

  private async pump(environment: Environment): Promise<void> {
    // Under sustained load every fan-out finds a full batch; a claim between batches keeps retries and what other
    // processes left due moving meanwhile.
    while (!this.stopped && (await this.fanOut(environment)) === fanOutBatch) {
      if (this.backlog.has(environment) && this.freeSlots > 0) await this.claimOnce(environment);
    }
    while (!this.stopped && this.freeSlots > 0) {
      const want = this.freeSlots;
      const claimed = await this.claimOnce(environment);
      if (claimed.length === 0 || claimed.length < want) break;
    }
  }

  /**
   * One claim of due deliveries, as many as there is room for and within each endpoint's quota. A claim that finds
   * nothing clears the backlog (unless endpoints were left out as full: their next free slot claims again); one that
   * finds some keeps it, since a short claim does not mean an empty queue — every attempt that ends claims again,
   * until a claim finds nothing.
   */
  private async claimOnce(environment: Environment): Promise<Claimed[]> {
    const quotas = this.endpointQuotas();
    const claimed = await this.claim(environment, this.freeSlots, quotas);
    for (const delivery of claimed) this.begin(delivery);
    if (claimed.length > 0) this.backlog.add(environment);
    else if (!quotas.some((q) => q.left === 0)) this.backlog.delete(environment);
    return claimed;
  }

  /**
   * Turns events not yet dispatched into one delivery per enabled endpoint that subscribes to their type, in one
   * transaction with the mark on the events. Deliveries this process has room for are inserted already claimed and
   * begin right after the commit: no second round trip to claim what was just written.
   */
  private async fanOut(environment: Environment): Promise<number> {
    const started: Claimed[] = [];
    const count = await runUnitOfWork(this.db, async (work) => {
      // A retried unit of work (a deadlock) runs this again: what a rolled-back attempt meant to start is forgotten.
      started.length = 0;
      const tx = await work.transaction();
      const db = tx.env(environment);
      const events = await db
        .selectFrom('events')
        .select(['id', 'platform_id', 'type', 'account_id', 'data', 'created_at', 'endpoint_id'])
        .where('dispatched_at', 'is', null)
        .orderBy('id')
        .limit(fanOutBatch)
        .forUpdate()
        .skipLocked()
        .execute();
      if (events.length === 0) return 0;
      const now = this.deps.now();
      const platforms = [...new Set(events.map((e) => e.platform_id))];
      const endpoints = await db
        .selectFrom('webhook_endpoints')
        .select(['id', 'platform_id', 'url', 'events', 'secret', 'previous_secret', 'previous_secret_expires_at', 'payment_link_id'])
        .where('platform_id', 'in', platforms)
        .where('status', '=', 'enabled')
        .where('deleted_at', 'is', null)
        .execute();
      const lease = this.leaseFrom(now);
      const rows: { id: string; event_id: string; endpoint_id: string; platform_id: string; status: 'pending'; next_attempt_at: Date; created_at: Date }[] = [];
      let room = this.freeSlots;
      const startedBy = new Map<string, number>();
      for (const event of events) {
        const body = deliveryBody(environment, event);
        for (const endpoint of endpoints) {
          if (endpoint.platform_id !== event.platform_id) continue;
          if (!receivesEvent(endpoint, event)) continue;
          const id = newId('webhookDelivery');
          const claim = room > 0 && this.endpointLoad(endpoint.id) + (startedBy.get(endpoint.id) ?? 0) < this.quota(endpoint.id);
          rows.push({ id, event_id: event.id, endpoint_id: endpoint.id, platform_id: event.platform_id, status: 'pending', next_attempt_at: claim ? lease : now, created_at: now });
          if (claim) {
            room--;
            startedBy.set(endpoint.id, (startedBy.get(endpoint.id) ?? 0) + 1);
            started.push({ environment, id, endpointId: endpoint.id, platformId: event.platform_id, url: endpoint.url, secrets: openSecrets(this.deps, environment, endpoint, now), body, number: 1, lease, eventCreatedAt: event.created_at });
          }
        }
      }
      if (rows.length > started.length) this.backlog.add(environment); // written due, for a claim to take
      for (let i = 0; i < rows.length; i += 1000) {
        await db.insertInto('webhook_deliveries').values(rows.slice(i, i + 1000)).onConflict((oc) => oc.columns(['event_id', 'endpoint_id']).doNothing()).execute();
      }
      await db.updateTable('events').set({ dispatched_at: now }).where('id', 'in', events.map((e) => e.id)).execute();
      return events.length;
    });
    for (const delivery of started) this.begin(delivery);
    return count;
  }

  private leaseFrom(now: Date): Date {
    // Long enough for the attempt (bounded by the timeout) and for writing its result even on a busy database; a
    // lapsed lease lets another process try again, which at-least-once allows but which we do not want in normal running.
    const timeout = this.deps.config.webhooks.timeoutMs;
    return new Date(now.getTime() + timeout + Math.max(timeout, 5000));
  }

  private endpointLoad(endpointId: string): number {
    return (this.inFlightByEndpoint.get(endpointId) ?? 0) + (this.waiting.get(endpointId)?.length ?? 0);
  }

  /** What each endpoint this process holds deliveries of, or has timed, may still take: its quota less its load. */
  private endpointQuotas(): { endpointId: string; left: number }[] {
    // Endpoints left out get the default, perEndpoint: only those with a load here or a different quota are named.
    const ids = new Set([...this.inFlightByEndpoint.keys(), ...this.waiting.keys()]);
    for (const id of this.durations.keys()) if (this.quota(id) !== this.perEndpoint) ids.add(id);
    return [...ids].map((endpointId) => ({ endpointId, left: Math.max(0, this.quota(endpointId) - this.endpointLoad(endpointId)) }));
  }

  /** Claims up to `limit` due deliveries, at most `perEndpoint` of an endpoint not in `quotas`, at most its `left` of one that is. */
  private async claim(environment: Environment, limit: number, quotas: readonly { endpointId: string; left: number }[]): Promise<Claimed[]> {
    const now = this.deps.now();
    const lease = this.leaseFrom(now);
    const db = this.db.env(environment);
    const t = (name: string) => sql.table(`${environment}.${name}`);
    const { rows } = await sql<{
      id: string;
      endpoint_id: string;
      platform_id: string;
      attempt_count: number;
      type: string;
      account_id: string;
      data: unknown;
      event_id: string;
      event_created_at: Date;
      url: string;
      secret: string;
      previous_secret: string | null;
      previous_secret_expires_at: Date | null;
    }>`
      with picked as (
        select id from ${t('webhook_deliveries')}
        where id in (
          -- The 2,000 longest due first (the partial index on next_attempt_at reads just those), then at most each
          -- endpoint's quota among them: ranking every due row would sort the whole backlog per claim.
          select id from (
            select id, endpoint_id, row_number() over (partition by endpoint_id order by next_attempt_at) as rank
            from (
              select id, endpoint_id, next_attempt_at from ${t('webhook_deliveries')}
              where status = 'pending' and next_attempt_at <= ${now}
              order by next_attempt_at limit 2000
            ) oldest
          ) due
          left join unnest(${quotas.map((q) => q.endpointId)}::text[], ${quotas.map((q) => q.left)}::integer[]) as quota(endpoint_id, left_here) using (endpoint_id)
          where rank <= coalesce(quota.left_here, ${this.perEndpoint})
        )
        and status = 'pending' and next_attempt_at <= ${now}
        order by next_attempt_at limit ${limit}
        for update skip locked
      ), claimed as (
        update ${t('webhook_deliveries')} d set next_attempt_at = ${lease}
        from picked where d.id = picked.id
        returning d.id, d.event_id, d.endpoint_id, d.platform_id, d.attempt_count
      )
      select c.id, c.endpoint_id, c.platform_id, c.attempt_count, c.event_id, e.type, e.account_id, e.data, e.created_at as event_created_at,
             w.url, w.secret, w.previous_secret, w.previous_secret_expires_at
      from claimed c
      join ${t('events')} e on e.id = c.event_id
      join ${t('webhook_endpoints')} w on w.id = c.endpoint_id
    `.execute(db);
    return rows.map((r) => ({
      environment,
      id: r.id,
      endpointId: r.endpoint_id,
      platformId: r.platform_id,
      url: r.url,
      secrets: openSecrets(this.deps, environment, { id: r.endpoint_id, secret: r.secret, previous_secret: r.previous_secret, previous_secret_expires_at: r.previous_secret_expires_at }, now),
      body: deliveryBody(environment, { id: r.event_id, type: r.type, created_at: r.event_created_at, account_id: r.account_id, data: r.data }),
      number: r.attempt_count + 1,
      lease,
      eventCreatedAt: r.event_created_at,
    }));
  }

  /** Starts the attempt, or queues it behind this endpoint's attempts in flight (or behind the process's). */
  private begin(delivery: Claimed): void {
    if ((this.inFlightByEndpoint.get(delivery.endpointId) ?? 0) >= this.slotsOf(delivery.endpointId) || this.inFlight >= this.concurrency) {
      const queue = this.waiting.get(delivery.endpointId) ?? [];
      queue.push(delivery);
      this.waiting.set(delivery.endpointId, queue);
      return;
    }
    const startedAt = this.deps.now().getTime();
    this.inFlight++;
    this.inFlightByEndpoint.set(delivery.endpointId, (this.inFlightByEndpoint.get(delivery.endpointId) ?? 0) + 1);
    const attempt = this.attempt(delivery).finally(() => {
      this.sending.delete(attempt);
      this.inFlight--;
      const left = (this.inFlightByEndpoint.get(delivery.endpointId) ?? 1) - 1;
      if (left === 0) this.inFlightByEndpoint.delete(delivery.endpointId);
      else this.inFlightByEndpoint.set(delivery.endpointId, left);
      this.noteDuration(delivery.endpointId, this.deps.now().getTime() - startedAt);
      const next = this.nextWaiting(delivery.endpointId);
      if (next) this.begin(next);
      // Refill before the endpoint's queue runs dry (pumps already running absorb the call).
      if (this.backlog.has(delivery.environment) && (!next || this.endpointLoad(delivery.endpointId) * 2 <= this.quota(delivery.endpointId))) this.wake(delivery.environment);
    });
    this.sending.add(attempt);
  }

  /** The next queued delivery that may start now: this endpoint's first, else another endpoint's with a free slot. */
  private nextWaiting(endpointId: string): Claimed | undefined {
    for (const id of [endpointId, ...this.waiting.keys()]) {
      const queue = this.waiting.get(id);
      if (!queue || (this.inFlightByEndpoint.get(id) ?? 0) >= this.slotsOf(id)) continue;
      // A delivery queued so long that its attempt could outlast its lease is left: the lease lapses and it is claimed
      // again (by this process or another), rather than attempted twice at once.
      const latestStart = this.deps.now().getTime() + this.deps.config.webhooks.timeoutMs;
      let next: Claimed | undefined;
      while ((next = queue.shift()) && next.lease.getTime() < latestStart) next = undefined;
      if (queue.length === 0) this.waiting.delete(id);
      if (next) return next;
    }
    return undefined;
  }

  private async attempt(delivery: Claimed): Promise<void> {
    const startedAt = this.deps.now();
    const headers = signDelivery({ id: delivery.id, timestampSeconds: Math.floor(Date.now() / 1000), body: delivery.body, secrets: delivery.secrets });
    let result: AttemptResult;
    try {
      result = await this.options.transportFor(delivery.environment).send({ url: delivery.url, headers, body: delivery.body });
    } catch (error) {
      result = { statusCode: null, durationMs: this.deps.now().getTime() - startedAt.getTime(), error: error instanceof Error ? error.message : String(error), responseBody: null, retryAfterMs: null };
    }
    this.noteOutcome(delivery.endpointId, result.statusCode !== null && result.statusCode >= 200 && result.statusCode < 300);
    const list = this.finished.get(delivery.environment) ?? [];
    list.push({ delivery, startedAt, result });
    this.finished.set(delivery.environment, list);
    this.scheduleFlush(list.length >= 100);
  }

  /** Results are written in batches: one transaction for every attempt that finished in the last few milliseconds. */
  private scheduleFlush(now: boolean): void {
    if (this.flushing) return; // the running flush looks again when it ends
    if (now) {
      if (this.flushTimer) clearTimeout(this.flushTimer);
      this.flushTimer = undefined;
      this.flushing = this.flush().finally(() => {
        this.flushing = undefined;
        if ([...this.finished.values()].some((l) => l.length > 0)) this.scheduleFlush(true);
      });
      return;
    }
    this.flushTimer ??= setTimeout(() => {
      this.flushTimer = undefined;
      this.scheduleFlush(true);
    }, 5);
  }

  private async flush(): Promise<void> {
    for (const environment of this.environments) {
      const batch = this.finished.get(environment);
      if (!batch || batch.length === 0) continue;
      this.finished.set(environment, []);
      try {
        await runUnitOfWork(this.db, (work) => this.record(work, environment, batch));
      } catch (error) {
        // The attempts happened but are not recorded; their leases lapse and they are attempted again (at least once).
        this.options.onError(error);
      }
    }
  }

  /** Writes the attempts, moves each delivery on, and keeps each endpoint's run of failures (disabling it after days). */
  private async record(work: UnitOfWork, environment: Environment, batch: Finished[]): Promise<void> {
    const tx = await work.transaction();
    const db = tx.env(environment);
    const now = this.deps.now();
    const schedule = this.deps.config.webhooks.retryScheduleMs;
    const steps = batch.map((f) => ({ ...f, step: nextStep(f.delivery.number, f.result, schedule, now) }));
    await db
      .insertInto('webhook_attempts')
      .values(
        steps.map(({ delivery, startedAt, result, step }) => ({
          id: newId('webhookAttempt'),
          delivery_id: delivery.id,
          endpoint_id: delivery.endpointId,
          platform_id: delivery.platformId,
          number: delivery.number,
          started_at: startedAt,
          duration_ms: Math.max(0, Math.round(result.durationMs)),
          status_code: result.statusCode,
          error: result.error === null ? null : result.error.slice(0, 500),
          response_body: result.responseBody === null ? null : result.responseBody.slice(0, responseBodyLimit),
          next_attempt_at: step.nextAttemptAt,
        })),
      )
      .execute();
    const values = steps.map(
      ({ delivery, startedAt, result, step }) =>
        sql`(${delivery.id}, ${delivery.lease}::timestamptz, ${step.status}, ${delivery.number}::integer, ${step.nextAttemptAt}::timestamptz, ${startedAt}::timestamptz, ${result.statusCode}::integer, ${result.error === null ? null : result.error.slice(0, 500)})`,
    );
    await sql`
      update ${sql.table(`${environment}.webhook_deliveries`)} d set
        status = v.status, attempt_count = v.number, next_attempt_at = v.next_attempt_at, last_attempt_at = v.started_at,
        last_status_code = v.status_code, last_error = v.error,
        delivered_at = case when v.status = 'delivered' then ${now}::timestamptz else d.delivered_at end
      from (values ${sql.join(values)}) as v(id, lease, status, number, next_attempt_at, started_at, status_code, error)
      where d.id = v.id and d.status = 'pending' and d.next_attempt_at = v.lease
    `.execute(db);
    await this.trackFailures(work, db, environment, steps, now);
    const onDelivered = this.options.onDelivered;
    if (onDelivered) {
      const delivered = steps.filter((s) => s.step.status === 'delivered');
      work.afterCommit(() => {
        for (const s of delivered) onDelivered(environment, Math.max(0, s.startedAt.getTime() + s.result.durationMs - s.delivery.eventCreatedAt.getTime()) / 1000);
      });
    }
    const nextRetry = Math.min(...steps.map((s) => s.step.nextAttemptAt?.getTime() ?? Infinity));
    if (nextRetry !== Infinity) work.afterCommit(() => this.wakeAt(environment, nextRetry));
  }

  private async trackFailures(work: UnitOfWork, db: EnvDb, environment: Environment, steps: (Finished & { step: { status: string } })[], now: Date): Promise<void> {
    const succeeded = new Set(steps.filter((s) => s.step.status === 'delivered').map((s) => s.delivery.endpointId));
    const failedSince = new Map<string, Date>();
    for (const s of steps) {
      if (s.step.status === 'delivered' || succeeded.has(s.delivery.endpointId)) continue;
      const first = failedSince.get(s.delivery.endpointId);
      if (!first || s.startedAt < first) failedSince.set(s.delivery.endpointId, s.startedAt);
    }
    if (succeeded.size > 0) {
      await db.updateTable('webhook_endpoints').set({ failing_since: null }).where('id', 'in', [...succeeded]).where('failing_since', 'is not', null).execute();
    }
    if (failedSince.size === 0) return;
    for (const [endpointId, since] of failedSince) {
      await db.updateTable('webhook_endpoints').set({ failing_since: since }).where('id', '=', endpointId).where('failing_since', 'is', null).execute();
    }
    const cutoff = new Date(now.getTime() - this.deps.config.webhooks.disableAfterMs);
    const disabled = await db
      .updateTable('webhook_endpoints')
      .set({ status: 'disabled', disabled_reason: 'failing', updated_at: now })
      .where('id', 'in', [...failedSince.keys()])
      .where('status', '=', 'enabled')
      .where('failing_since', '<=', cutoff)
      .returningAll()
      .execute();
    for (const endpoint of disabled) {
      await db
        .updateTable('webhook_deliveries')
        .set({ status: 'undelivered', next_attempt_at: null, last_error: 'the endpoint was disabled after failing for too long' })
        .where('endpoint_id', '=', endpoint.id)
        .where('status', '=', 'pending')
        .execute();
      await recordEvent(work, environment, {
        platformId: endpoint.platform_id,
        accountId: endpoint.platform_id,
        type: 'webhook_endpoint.disabled',
        data: {
          id: endpoint.id,
          url: endpoint.url,
          description: endpoint.description,
          events: endpoint.events,
          status: 'disabled',
          disabled_reason: 'failing',
          failing_since: (endpoint.failing_since ?? now).toISOString(),
        },
      });
    }
  }

  /** A retry due before the next poll gets a timer of its own, so short schedules (tests, Retry-After) are kept. */
  private wakeAt(environment: Environment, at: number): void {
    if (this.stopped) return;
    const delay = at - this.deps.now().getTime();
    if (delay >= this.deps.config.webhooks.pollMs || at >= this.retryAt) return;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryAt = at;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.retryAt = Infinity;
      this.wake(environment);
    }, Math.max(0, delay) + 5);
    this.retryTimer.unref();
  }

  /** Stops claiming, lets the attempts in flight finish (each is bounded by the timeout) and writes their results. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.soon.values()) clearTimeout(timer);
    if (this.pollTimer) clearInterval(this.pollTimer);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    for (const cleanup of this.cleanups) await cleanup();
    this.waiting.clear(); // claimed but not begun: their leases lapse and another process (or the next start) sends them
    await Promise.allSettled([...this.sending]);
    if (this.flushTimer) clearTimeout(this.flushTimer);
    await this.flushing;
    await this.flush();
  }
}

/** Deliveries waiting for a (first or next) attempt in one environment: the webhook queue's depth (for /metrics). */
export async function countPendingDeliveries(deps: Pick<Deps, 'db'>, environment: Environment): Promise<number> {
  const row = await deps.db.env(environment).selectFrom('webhook_deliveries').select((eb) => eb.fn.countAll<string>().as('count')).where('status', '=', 'pending').executeTakeFirst();
  return Number(row?.count ?? 0);
}
