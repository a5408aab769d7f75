// GET /docs: the API reference, rendered in the browser by Scalar's reference, every byte of it served from here (no
// CDN, no web fonts). The renderer's script comes from @scalar/fastify-api-reference, which holds it as one 4 MB
// module: it is loaded on the first request for it, never at start (importing it took over a second of every start).
import { createHash } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import { loadModule } from '../lib/load-module.ts';

const configuration = {
  title: 'PIK API reference',
  url: '/docs/openapi.json',
  withDefaultFonts: false,
  hideClientButton: true,
  telemetry: false,
  defaultOpenAllTags: false,
  hiddenClients: { node: ['undici', 'axios', 'ofetch'], js: ['axios', 'ofetch', 'jquery', 'xhr'] },
  // The renderer's hosted extras (an AI agent, MCP generation, its developer tools) reach Scalar's services: off.
  agent: { disabled: true },
  mcp: { disabled: true },
  showDeveloperTools: 'never',
};

const startScript = `Scalar.createApiReference('#app', ${JSON.stringify(configuration)});`;

/**
 * What the reference page may load: its script and the document from this server, and its one inline start-up
 * script by hash; the renderer writes its styles inline. Nothing from anywhere else.
 */
export const docsContentSecurityPolicy =
  `default-src 'none'; script-src 'self' 'sha256-${createHash('sha256').update(startScript).digest('base64')}'; ` +
  "style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const page = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>PIK API reference</title>
<link rel="icon" href="data:,">
</head>
<body>
<div id="app"></div>
<script src="/docs/js/scalar.js"></script>
<script>${startScript}</script>
</body>
</html>
`;

let script: Promise<string> | undefined;

/** The renderer's browser script, taken once from the plugin through its own route, in a throwaway instance. */
function rendererScript(): Promise<string> {
  script ??= (async () => {
    const { default: scalar } = await loadModule<typeof import('@scalar/fastify-api-reference')>('@scalar/fastify-api-reference');
    const donor = Fastify({ logger: false });
    try {
      await donor.register(scalar, { routePrefix: '/reference', configuration: { content: { openapi: '3.1.0', info: { title: '-', version: '0' }, paths: {} } } });
      const answer = await donor.inject({ method: 'GET', url: '/reference/js/scalar.js' });
      if (answer.statusCode !== 200) throw new Error(`the reference's script could not be read (${answer.statusCode})`);
      return answer.body;
    } finally {
      await donor.close();
    }
  })();
  script.catch(() => (script = undefined)); // a failure is retried by the next request
  return script;
}

export function serveDocsPage(app: FastifyInstance): void {
  const secure = { 'content-security-policy': docsContentSecurityPolicy, 'x-content-type-options': 'nosniff' };
  app.get('/docs', { schema: { hide: true } }, async (_request, reply) => reply.headers(secure).type('text/html; charset=utf-8').send(page));
  app.get('/docs/openapi.json', { schema: { hide: true } }, async (_request, reply) => reply.headers(secure).send(app.swagger()));
  app.get('/docs/openapi.yaml', { schema: { hide: true } }, async (_request, reply) => reply.headers(secure).type('application/yaml; charset=utf-8').send(app.swagger({ yaml: true })));
  app.get('/docs/js/scalar.js', { schema: { hide: true } }, async (_request, reply) =>
    reply.headers({ ...secure, 'cache-control': 'public, max-age=3600' }).type('application/javascript; charset=utf-8').send(await rendererScript()),
  );
}
