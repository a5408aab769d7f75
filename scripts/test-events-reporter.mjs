// A node:test reporter for scripts/run-tests.mjs: one JSON object per line with what its closing summary needs —
// every test's outcome (with its suite path, skip reason and first error line) and node's own closing counts.
// The first line of a message, and the next one when the first only announces it ("…evaluated to a falsy value:").
const firstLine = (text) => {
  const lines = String(text ?? '')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
  return lines[0]?.endsWith(':') && lines[1] ? `${lines[0]} ${lines[1]}` : (lines[0] ?? '');
};

function describeError(error) {
  if (!error) return undefined;
  // node wraps what the test threw: the cause is the assertion or error itself.
  const cause = error.cause ?? error;
  const message = firstLine(cause?.message ?? cause);
  return { failureType: error.failureType, message: cause?.name && cause.name !== 'Error' ? `${cause.name}: ${message}` : message };
}

/** The name of the test scripts/test-group.mjs runs before each file of a group: the events after it are that file's. */
export const groupFileMarker = '── test file: ';

export default async function* testEventsReporter(source) {
  // The names of the suites a test sits in, from test:start (reported parents first).
  const path = [];
  // Inside a group (scripts/test-group.mjs) each file's tests sit in a suite named after the file: that suite is
  // reported as the file's start and end, and its tests at the nesting and path they have when the file runs alone.
  let depth = 0;
  for await (const { type, data } of source) {
    const marker = data.nesting === 0 && typeof data.name === 'string' && data.name.startsWith(groupFileMarker) ? data.name.slice(groupFileMarker.length) : undefined;
    if (type === 'test:start') {
      path.length = data.nesting;
      path[data.nesting] = data.name;
      if (marker !== undefined) {
        depth = 1;
        yield `${JSON.stringify({ type: 'file', file: marker })}\n`;
      }
    } else if (marker !== undefined && (type === 'test:pass' || type === 'test:fail')) {
      depth = 0;
      yield `${JSON.stringify({ type: 'file-end', file: marker, durationMs: data.details?.duration_ms, error: type === 'test:fail' ? describeError(data.details?.error) : undefined })}\n`;
    } else if (type === 'test:pass' || type === 'test:fail') {
      yield `${JSON.stringify({
        type,
        name: data.name,
        path: path.slice(depth, data.nesting),
        nesting: data.nesting - depth,
        file: data.file,
        line: data.line,
        suite: data.details?.type === 'suite',
        skip: data.skip === undefined ? undefined : data.skip === true ? true : String(data.skip),
        todo: data.todo === undefined ? undefined : data.todo === true ? true : String(data.todo),
        durationMs: data.details?.duration_ms,
        error: type === 'test:fail' ? describeError(data.details?.error) : undefined,
      })}\n`;
    } else if (type === 'test:diagnostic') {
      yield `${JSON.stringify({ type, nesting: data.nesting, message: data.message })}\n`;
    }
  }
}
