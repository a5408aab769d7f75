// A webhook receiver on node:http that verifies every delivery with pik.webhooks.verify before acting on it.
//
//   PIK_WEBHOOK_SECRET=whsec_… PORT=4242 npx tsx examples/webhook-receiver.ts
//
// Register it with pik.webhooks.create({ url: 'https://your-host/webhooks', events: ['*'] }) and keep the secret the
// answer shows once. (In sandbox, the operator may allow http://localhost: PIK_WEBHOOK_ALLOW_LOOPBACK=sandbox.)
import http from 'node:http';
import { Pik, WebhookVerificationError } from '@pik/sdk';

const secret = process.env.PIK_WEBHOOK_SECRET;
if (!secret) {
  console.error('Set PIK_WEBHOOK_SECRET to the endpoint\'s signing secret (whsec_…).');
  process.exit(1);
}
// Verifying needs no API key; a client is made anyway, as an app that also calls the API would have one.
const pik = new Pik({ apiKey: process.env.PIK_API_KEY ?? 'pik_test_unused', baseUrl: process.env.PIK_BASE_URL });

const server = http.createServer((request, response) => {
  if (request.method !== 'POST') {
    response.writeHead(405).end();
    return;
  }
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', async () => {
    // The raw bytes, exactly as they arrived: a signature covers them, not a re-serialized JSON.
    const rawBody = Buffer.concat(chunks);
    try {
      const event = await pik.webhooks.verify(rawBody, request.headers, secret);
      console.log(`verified ${event.type} ${event.event_id} for ${event.account_id}`);
      if (event.type === 'account.created') console.log(`  new account ${event.data.account_id} (${event.data.customer_type}, ${event.data.country})`);
      // Answer 2xx quickly; do slow work afterwards. Deliveries are at least once: deduplicate on event.event_id.
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"received":true}');
    } catch (error) {
      if (!(error instanceof WebhookVerificationError)) throw error;
      console.log(`refused a delivery: ${error.reason}`);
      response.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: error.reason }));
    }
  });
});

server.listen(Number(process.env.PORT ?? 4242), '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : process.env.PORT;
  console.log(`webhook receiver listening on http://127.0.0.1:${port}`);
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => server.close(() => process.exit(0)));
