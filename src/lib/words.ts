// Lists as a sentence says them, for messages and descriptions built from a catalogue.

/** "a", "a or b", "a, b or c". */
export function listWithOr(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} or ${items.at(-1)}`;
}
