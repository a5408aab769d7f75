// Reads a /metrics answer as Prometheus does, with parse-prometheus-text-format (a parser of the text format that knows
// nothing of prom-client), and finds one sample by name and labels.
import { createRequire } from 'node:module';

export interface MetricFamily {
  name: string;
  help: string;
  type: string;
  metrics: { value?: string; labels?: Record<string, string>; buckets?: Record<string, string>; count?: string; sum?: string }[];
}

// The package has no type declarations; it is CommonJS with a default export.
const parsePrometheusTextFormat = createRequire(import.meta.url)('parse-prometheus-text-format') as (text: string) => MetricFamily[];

/** Parses the text; throws on anything that is not the Prometheus text format. */
export function parseMetrics(text: string): MetricFamily[] {
  return parsePrometheusTextFormat(text);
}

/** The sample of `name` whose labels include `labels`: its value (a counter's, a gauge's) or a histogram's count. */
export function sampleOf(families: readonly MetricFamily[], name: string, labels: Record<string, string> = {}): number | undefined {
  const family = families.find((f) => f.name === name);
  const metric = family?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
  if (metric === undefined) return undefined;
  return Number(metric.value ?? metric.count);
}

/**
 * A histogram's observation count (its `_count` sample) for the series whose labels include `labels`. Read from the
 * text itself: the parser keeps a labelled histogram's buckets but drops its labels and count.
 */
export function histogramCount(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    const match = new RegExp(`^${name}_count\\{(.*)\\} (\\S+)$`).exec(line);
    if (!match) continue;
    const found = Object.fromEntries([...(match[1] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) return Number(match[2]);
  }
  return undefined;
}
