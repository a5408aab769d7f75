// The Prometheus metrics of one server process (prom-client), served at GET /metrics: what the HTTP edge counts per
// request, what the domain reports (webhook deliveries) or leaves countable (committed ledger movements), and gauges
// read when scraped (pool connections, the webhook queue). The domain never imports prom-client.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics, type LabelValues } from 'prom-client';
import type { Database } from './db/database.ts';
import { committedMovements } from './db/unit-of-work.ts';
import { countPendingDeliveries } from './domain/webhooks/dispatcher.ts';
import type { Environment } from './lib/environments.ts';

/** The latency histogram's upper bounds, in seconds. */
const latencyBounds = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * One method, route and status: plain numbers added to per request, turned into Prometheus samples only when scraped.
 * prom-client's own counters and histograms hash their label object on every call, even through a child made with
 * labels(): about 2 µs per request here, a tenth of an authenticated request's whole cost.
 */
interface RequestSeries {
  method: string;
  route: string;
  status: number;
  count: number;
  sumSeconds: number;
  /** Observations per bucket (not cumulative), the last one for +Inf. */
  buckets: number[];
}

export interface MetricsSources {
  db: Database;
  /** The webhook worker's own pool (PostgreSQL), when it has one. */
  workerDb?: Database | undefined;
  environments: readonly Environment[];
}

export class Metrics {
  readonly registry = new Registry();
  private readonly authFailures: Counter<'code'>;
  private readonly rateLimited: Counter<'group'>;
  private readonly webhookLatency: Histogram<'environment'>;
  private readonly series = new Map<string, RequestSeries>();
  private readonly pools: { name: string; db: Database }[];
  /** The pools as they were when the scrape began, before its own queries (the webhook queue's) took a connection. */
  private poolSnapshot: { inUse: number; idle: number; waiting: number }[] = [];

  constructor(sources: MetricsSources) {
    const registers = [this.registry];
    // Event-loop lag (nodejs_eventloop_lag_*), heap, GC and the process's CPU and memory, prefixed nodejs_/process_.
    collectDefaultMetrics({ register: this.registry });
    const series = this.series;
    this.registry.registerMetric(
      collectedMetric('pik_http_requests_total', 'HTTP requests answered, by method, route pattern (never the raw URL) and status.', 'counter', () =>
        [...series.values()].map((s) => ({ labels: { method: s.method, route: s.route, status: s.status }, value: s.count })),
      ),
    );
    this.registry.registerMetric(
      collectedMetric('pik_http_request_duration_seconds', 'Time from a request arriving to its answer being sent, by method and route pattern.', 'histogram', () => latencySamples(series.values())),
    );
    this.authFailures = new Counter({
      name: 'pik_authentication_failures_total',
      help: 'Refused credentials (API keys, the operator token, dashboard sign-ins) and throttled addresses, by error code.',
      labelNames: ['code'],
      registers,
    });
    this.rateLimited = new Counter({ name: 'pik_rate_limit_rejections_total', help: '429 RATE_LIMITED answers, by rate-limit group.', labelNames: ['group'], registers });
    new Counter({
      name: 'pik_ledger_movements_total',
      help: 'Ledger movements committed by this process, by what moved the money (transfer, payout, deposit, conversion, …).',
      labelNames: ['type'],
      registers,
      collect() {
        this.reset();
        for (const [type, count] of committedMovements(sources.db)) this.inc({ type }, count);
      },
    });
    new Gauge({
      name: 'pik_webhook_queue_depth',
      help: 'Webhook deliveries waiting for an attempt (first or retry), by environment; every process reads the same queue.',
      labelNames: ['environment'],
      registers,
      async collect() {
        for (const environment of sources.environments) this.set({ environment }, await countPendingDeliveries(sources, environment));
      },
    });
    this.webhookLatency = new Histogram({
      name: 'pik_webhook_delivery_seconds',
      help: 'From an event being recorded to its delivery being acknowledged (2xx), retries included, by environment.',
      labelNames: ['environment'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 7200, 86_400],
      registers,
    });
    this.pools = [{ name: 'requests', db: sources.db }, ...(sources.workerDb ? [{ name: 'webhooks', db: sources.workerDb }] : [])];
    const pools = this.pools;
    const snapshot = () => this.poolSnapshot;
    new Gauge({
      name: 'pik_db_pool_connections',
      help: 'Database pool connections by state: in_use (checked out), idle, and waiting (callers queued for a connection).',
      labelNames: ['pool', 'state'],
      registers,
      collect() {
        for (const [i, { name }] of pools.entries()) {
          const counts = snapshot()[i] ?? { inUse: 0, idle: 0, waiting: 0 };
          this.set({ pool: name, state: 'in_use' }, counts.inUse);
          this.set({ pool: name, state: 'idle' }, counts.idle);
          this.set({ pool: name, state: 'waiting' }, counts.waiting);
        }
      },
    });
  }

  /** One answered request. `route` is the route's pattern ("/api/v1/accounts/:id"), or "unmatched". */
  recordRequest(method: string, route: string, status: number, seconds: number): void {
    const id = `${method} ${route} ${status}`;
    let series = this.series.get(id);
    if (series === undefined) {
      // Bounded: routes × methods × statuses actually answered (an unknown URL is "unmatched", never itself).
      series = { method, route, status, count: 0, sumSeconds: 0, buckets: new Array<number>(latencyBounds.length + 1).fill(0) };
      this.series.set(id, series);
    }
    series.count++;
    series.sumSeconds += seconds;
    let bucket = 0;
    while (bucket < latencyBounds.length && seconds > (latencyBounds[bucket] as number)) bucket++;
    (series.buckets[bucket] as number)++;
  }

  recordAuthenticationFailure(code: string): void {
    this.authFailures.inc({ code } as LabelValues<'code'>);
  }

  recordRateLimited(group: string): void {
    this.rateLimited.inc({ group });
  }

  recordWebhookDelivered(environment: Environment, seconds: number): void {
    this.webhookLatency.observe({ environment }, seconds);
  }

  /** The Prometheus text exposition format. */
  async render(): Promise<{ contentType: string; body: string }> {
    this.poolSnapshot = this.pools.map(({ db }) => ({ inUse: db.pool.totalCount - db.pool.idleCount, idle: db.pool.idleCount, waiting: db.pool.waitingCount }));
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

interface Sample {
  metricName?: string;
  labels: Record<string, string | number>;
  value: number;
}

/** A metric whose samples are computed when scraped, in the shape prom-client's Registry renders. */
function collectedMetric(name: string, help: string, type: 'counter' | 'histogram', samples: () => Sample[]) {
  const get = async () => ({ name, help, type, values: samples(), aggregator: 'sum' as const });
  return { name, help, type, get, getForPromString: get, reset: () => undefined } as unknown as Parameters<Registry['registerMetric']>[0];
}

/** The histogram's samples per method and route (statuses merged): cumulative buckets, then +Inf, sum and count. */
function latencySamples(all: Iterable<RequestSeries>): Sample[] {
  const byRoute = new Map<string, { method: string; route: string; buckets: number[]; sum: number; count: number }>();
  for (const s of all) {
    const id = `${s.method} ${s.route}`;
    let merged = byRoute.get(id);
    if (merged === undefined) {
      merged = { method: s.method, route: s.route, buckets: new Array<number>(latencyBounds.length + 1).fill(0), sum: 0, count: 0 };
      byRoute.set(id, merged);
    }
    for (let i = 0; i < s.buckets.length; i++) (merged.buckets[i] as number) += s.buckets[i] as number;
    merged.sum += s.sumSeconds;
    merged.count += s.count;
  }
  const samples: Sample[] = [];
  for (const { method, route, buckets, sum, count } of byRoute.values()) {
    let cumulative = 0;
    for (let i = 0; i < buckets.length; i++) {
      cumulative += buckets[i] as number;
      samples.push({ metricName: 'pik_http_request_duration_seconds_bucket', labels: { method, route, le: i < latencyBounds.length ? (latencyBounds[i] as number) : '+Inf' }, value: cumulative });
    }
    samples.push({ metricName: 'pik_http_request_duration_seconds_sum', labels: { method, route }, value: sum });
    samples.push({ metricName: 'pik_http_request_duration_seconds_count', labels: { method, route }, value: count });
  }
  return samples;
}
