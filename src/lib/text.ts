// How text lengths are counted: in Unicode code points, as the JSON Schemas' minLength/maxLength are (ajv counts code
// points too), so the documents and the server agree on what "at most 200 characters" means — an emoji is one, not
// the two UTF-16 units JavaScript's .length would count.

/** The number of code points in `text` (a lone surrogate counts as one; the edge refuses those anyway). */
export function codePointLength(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    // A high surrogate followed by a low one is a single code point.
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
    count++;
  }
  return count;
}
