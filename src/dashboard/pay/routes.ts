// The hosted payment page, /pay/{link_id}: public (no sign-in, no cookies, no form), server-rendered under the
// dashboard's strict CSP, with a small status endpoint its script polls and the QR code as SVG (qr_code_url).
import fs from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { renderSVG } from 'uqr';
import { readHostedLink, readPayerStatus } from '../../domain/payment-links/hosted.ts';
import type { Services } from '../../services.ts';
import { applySecurityHeaders } from '../security.ts';
import { endedPage, notFoundPage, payPage } from './view.ts';

const assets = new Map([
  ['pay.css', { type: 'text/css; charset=utf-8', body: fs.readFileSync(new URL('./public/pay.css', import.meta.url)) }],
  ['pay.js', { type: 'text/javascript; charset=utf-8', body: fs.readFileSync(new URL('./public/pay.js', import.meta.url)) }],
]);

const IdParams = { type: 'object', properties: { id: { type: 'string', maxLength: 100 } }, required: ['id'] } as const;

export async function hostedPaymentPages(app: FastifyInstance, services: Services): Promise<void> {
  const isSecure = services.config.publicUrl.startsWith('https://');

  // Not part of the API reference.
  app.addHook('onRoute', (route) => {
    route.schema = { ...route.schema, hide: true };
  });
  app.addHook('onRequest', async (_request, reply) => {
    applySecurityHeaders(reply, isSecure);
  });

  app.get('/assets/:name', async (request, reply) => {
    const asset = assets.get((request.params as { name: string }).name);
    if (!asset) return reply.code(404).type('text/html; charset=utf-8').send(notFoundPage());
    return reply.type(asset.type).header('cache-control', 'public, max-age=300').send(asset.body);
  });

  app.get('/:id', { schema: { params: IdParams } }, async (request, reply) => {
    const { id } = request.params as { id: string };
    const hosted = await readHostedLink(services, id);
    reply.header('cache-control', 'no-store');
    if (!hosted) return reply.code(404).type('text/html; charset=utf-8').send(notFoundPage());
    // The merchant's logo is the one image from elsewhere: its origin exactly, nothing wider.
    const logo = hosted.link.merchant_logo_url;
    if (logo) applySecurityHeaders(reply, isSecure, { imageOrigins: [new URL(logo).origin] });
    const since = services.now().toISOString();
    const body =
      hosted.status.state === 'paid' || hosted.status.state === 'expired' || hosted.status.state === 'cancelled'
        ? endedPage(hosted)
        : payPage(hosted, { status: `/pay/${hosted.link.id}/status?since=${encodeURIComponent(since)}`, qr: `/pay/${hosted.link.id}/qr.svg` });
    return reply.type('text/html; charset=utf-8').send(body);
  });

  // What the page's script polls: the payer's state only (no ids, no amounts but what the page already shows).
  app.get('/:id/status', { schema: { params: IdParams } }, async (request, reply) => {
    const { id } = request.params as { id: string };
    const sinceText = (request.query as { since?: unknown }).since;
    const since = typeof sinceText === 'string' && !Number.isNaN(Date.parse(sinceText)) ? new Date(sinceText) : null;
    const status = await readPayerStatus(services, id, since);
    reply.header('cache-control', 'no-store');
    if (!status) return reply.code(404).send({ error: { code: 'PAYMENT_LINK_NOT_FOUND', message: 'No such payment link.', request_id: request.id } });
    return { state: status.state, currency: status.currency, amount_received: status.amountReceived, redirect_url: status.redirectUrl };
  });

  // qr_code_url: a Solana Pay transfer request for USDT/USDC, the page's own URL for AUD. Platforms may embed it.
  app.get('/:id/qr.svg', { schema: { params: IdParams } }, async (request, reply) => {
    const { id } = request.params as { id: string };
    const hosted = await readHostedLink(services, id);
    if (!hosted) return reply.code(404).type('text/html; charset=utf-8').send(notFoundPage());
    const content = hosted.solana?.uri ?? `${services.config.publicUrl}/pay/${hosted.link.id}`;
    const svg = renderSVG(content, { ecc: 'M', border: 2, pixelSize: 8 });
    return reply.type('image/svg+xml; charset=utf-8').header('cache-control', 'public, max-age=60').header('cross-origin-resource-policy', 'cross-origin').send(svg);
  });
}
