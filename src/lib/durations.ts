// Durations written as people write them in configuration: "500ms", "30s", "5m", "2h", "5d".

const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Milliseconds, or undefined when the text is not a whole number followed by ms, s, m, h or d. */
export function parseDuration(text: string): number | undefined {
  const match = /^(\d{1,9})(ms|s|m|h|d)$/.exec(text.trim());
  if (!match) return undefined;
  return Number(match[1]) * (units[match[2] as string] as number);
}

/** A comma-separated list of durations ("5m,30m,2h"), or undefined if any part is not one. */
export function parseDurationList(text: string): number[] | undefined {
  const parts = text.split(',').map(parseDuration);
  return parts.every((p) => p !== undefined) ? (parts as number[]) : undefined;
}
