// One HTTP request with node:http (or node:https), answered as status and text. The CLI's calls go through this rather
// than fetch: fetch is undici, which Node loads and compiles (its HTTP parser is WebAssembly) on first use, some 60 ms
// of every command on this 2-core machine, against about 10 ms for node:http. Errors keep fetch's shape for the
// caller: a rejection when nothing was answered, the signal's reason when it was aborted.
import http from 'node:http';
import https from 'node:https';

export interface PlainRequest {
  method: string;
  headers: Record<string, string>;
  body?: string | undefined;
  signal?: AbortSignal | undefined;
}

export interface PlainResponse {
  status: number;
  ok: boolean;
  /** The body as text; rejects when the connection breaks before its end. */
  text: Promise<string>;
}

/** Resolves once the status line and headers are in; the body is read into `text`. */
// Kept alive between requests: `pik listen` asks the events API every second over one connection. A command's
// process does not wait for an idle socket: pik.ts exits as soon as the command is done.
const agents = { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) };

export function request(url: string, options: PlainRequest): Promise<PlainResponse> {
  const target = new URL(url);
  const isHttps = target.protocol === 'https:';
  const transport = isHttps ? https : http;
  const body = options.body === undefined ? undefined : Buffer.from(options.body);
  return new Promise((resolve, reject) => {
    const outgoing = transport.request(
      target,
      {
        method: options.method,
        headers: { ...options.headers, ...(body === undefined ? {} : { 'content-length': String(body.length) }) },
        signal: options.signal,
        agent: isHttps ? agents.https : agents.http,
      },
      (incoming) => {
        const status = incoming.statusCode ?? 0;
        const text = new Promise<string>((resolveText, rejectText) => {
          const chunks: Buffer[] = [];
          incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
          incoming.on('end', () => resolveText(Buffer.concat(chunks).toString('utf8')));
          incoming.on('error', rejectText);
          incoming.on('close', () => {
            if (!incoming.complete) rejectText(new Error('the connection closed before the answer ended'));
          });
        });
        text.catch(() => undefined); // read by the caller; a rejection it never reads is not an unhandled one
        resolve({ status, ok: status >= 200 && status < 300, text });
      },
    );
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}
