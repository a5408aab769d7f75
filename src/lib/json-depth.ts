// How deeply a JSON text nests arrays and objects, measured on the text itself, before anything is parsed or walked.

/**
 * Whether `text` opens more than `maxDepth` arrays or objects inside one another. One pass over the characters,
 * skipping string contents (a "[" inside a string is not nesting); it allocates nothing, so a 5,000-deep body is
 * refused before JSON.parse builds it and before any code walks it. Malformed text gets an answer too — JSON.parse
 * refuses it afterwards anyway.
 */
export function exceedsJsonDepth(text: string, maxDepth: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // a backslash: the next character is escaped, whatever it is
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > maxDepth) return true;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return false;
}
