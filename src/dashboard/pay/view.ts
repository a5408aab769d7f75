// The hosted payment page's HTML: mobile first, no sign-in, no form, script only from /pay/assets (the strict CSP).
import type { HostedLink, PayerStatus } from '../../domain/payment-links/hosted.ts';
import { html, type Html } from '../html.ts';
import { documentHead } from '../views/layout.ts';

const head = (title: string): Html =>
  documentHead(title, { stylesheet: '/pay/assets/pay.css', script: '/pay/assets/pay.js' }, html`<meta name="referrer" content="no-referrer">
`);

function shell(title: string, hosted: Pick<HostedLink, 'environment' | 'merchantName' | 'link'>, body: Html): string {
  const logo = hosted.link.merchant_logo_url;
  return `<!doctype html>${html`<html lang="en">
${head(title)}
<body class="pay">
${hosted.environment === 'sandbox' ? html`<p class="pay-sandbox" role="note">Sandbox: a test page. No real money moves; do not send any.</p>` : ''}
<main class="pay-main" id="main">
  <header class="pay-merchant">
    ${logo ? html`<img class="pay-logo" src="${logo}" alt="" width="48" height="48">` : html`<span class="pay-logo pay-logo-letter" aria-hidden="true">${[...hosted.merchantName][0]?.toUpperCase() ?? '?'}</span>`}
    <div><p class="pay-to">Pay</p><h1>${hosted.merchantName}</h1></div>
  </header>
${body}
  <footer class="pay-footer">Payments processed by PIK</footer>
</main>
</body>
</html>`}`;
}

function copyRow(label: string, value: string, options: { mono?: boolean; id?: string } = {}): Html {
  return html`<div class="pay-row">
    <dt>${label}</dt>
    <dd><span class="${options.mono === false ? '' : 'mono'}"${options.id ? html` id="${options.id}"` : ''}>${value}</span>
      <button type="button" class="pay-copy" data-copy="${value}" aria-label="Copy ${label.toLowerCase()}">Copy</button></dd>
  </div>`;
}

const stateText: Record<PayerStatus['state'], string> = {
  awaiting_funds: 'Waiting for your payment',
  underpaid: 'Part of the amount has arrived',
  paid: 'Payment received',
  expired: 'This payment link has expired',
  cancelled: 'This payment link was cancelled',
};

function statusPanel(hosted: HostedLink, statusUrl: string): Html {
  const { status } = hosted;
  const detail =
    status.state === 'underpaid' && status.amountReceived !== null
      ? html`Received ${status.amountReceived} ${status.currency}${hosted.amount ? html` of ${hosted.amount} ${status.currency}` : ''}. Send the rest with the same reference.`
      : hosted.link.currency === 'AUD'
        ? html`This page updates by itself when your payment arrives. Bank transfers can take a few minutes or, outside business hours, longer.`
        : html`This page updates by itself when your payment arrives, usually within a minute of sending it.`;
  return html`<section class="pay-card pay-status" id="pay-status" data-state="${status.state}" data-status-url="${statusUrl}" aria-live="polite">
    <p class="pay-state"><span class="pay-dot" aria-hidden="true"></span> <strong id="pay-state-text">${stateText[status.state]}</strong></p>
    <p class="pay-state-detail" id="pay-state-detail">${detail}</p>
  </section>`;
}

function amountBlock(hosted: HostedLink): Html {
  const currency = hosted.link.currency;
  return html`<section class="pay-card pay-summary">
    <p class="pay-label">Amount</p>
    ${hosted.amount ? html`<p class="pay-amount"><span id="pay-amount">${hosted.amount}</span> <span class="pay-currency">${currency}</span></p>` : html`<p class="pay-amount pay-amount-open">Any amount in ${currency}</p>`}
    <dl class="pay-details">${copyRow('Reference', hosted.link.reference, { id: 'pay-reference' })}</dl>
  </section>`;
}

function bankBlock(hosted: HostedLink): Html {
  if (!hosted.bank) return html`<section class="pay-card"><h2>Bank transfer</h2><p>Bank details are not available for this link right now. Contact ${hosted.merchantName}.</p></section>`;
  const { bank } = hosted;
  return html`<section class="pay-card">
    <h2>Pay by bank transfer</h2>
    <p class="pay-hint">From your bank's app or website, pay this account. <strong>Type the reference exactly</strong>: it is how your payment is matched.</p>
    <dl class="pay-details">
      ${copyRow('BSB', bank.bsb)}
      ${copyRow('Account number', bank.accountNumber)}
      ${copyRow('Account name', bank.accountName, { mono: false })}
      ${copyRow('Reference', hosted.link.reference)}
      ${hosted.amount ? copyRow('Amount', hosted.amount) : ''}
    </dl>
  </section>`;
}

function solanaBlock(hosted: HostedLink, qrUrl: string): Html {
  const currency = hosted.link.currency;
  if (!hosted.solana) return html`<section class="pay-card"><h2>${currency} on Solana</h2><p>The address is not available right now. Contact ${hosted.merchantName}.</p></section>`;
  return html`<section class="pay-card">
    <h2>Pay with ${currency} on Solana</h2>
    <div class="pay-qr-wrap">
      <img class="pay-qr" id="pay-qr" src="${qrUrl}" alt="QR code: a Solana Pay request for ${hosted.amount ? `${hosted.amount} ${currency}` : currency}" width="240" height="240">
      <div>
        <p class="pay-hint">Scan with a Solana Pay wallet, or open it on this device. Send <strong>only ${currency} on Solana</strong>; other tokens or networks cannot be recovered.</p>
        <p><a class="pay-button" href="${hosted.solana.uri}">Open in wallet</a></p>
      </div>
    </div>
    <dl class="pay-details">
      ${copyRow('Address', hosted.solana.address)}
      ${hosted.amount ? copyRow('Amount', hosted.amount) : ''}
      ${copyRow('Memo (reference)', hosted.link.reference)}
    </dl>
  </section>`;
}

/** An active link: how to pay, and the status that updates itself. */
export function payPage(hosted: HostedLink, urls: { status: string; qr: string }): string {
  const body = html`${statusPanel(hosted, urls.status)}
  ${amountBlock(hosted)}
  ${hosted.link.currency === 'AUD' ? bankBlock(hosted) : solanaBlock(hosted, urls.qr)}`;
  return shell(`Pay ${hosted.merchantName}`, hosted, body);
}

/** Paid, expired or cancelled: what happened, and nothing to pay to. */
export function endedPage(hosted: HostedLink): string {
  const { state, redirectUrl } = hosted.status;
  const messages: Record<string, Html> = {
    paid: html`<p>Thank you. ${hosted.merchantName} has received your payment${hosted.amount ? html` of ${hosted.amount} ${hosted.link.currency}` : ''}.</p>`,
    expired: html`<p>It can no longer be paid. Ask ${hosted.merchantName} for a new link. Do not send money to the details you may have noted from it.</p>`,
    cancelled: html`<p>It can no longer be paid. Ask ${hosted.merchantName} for a new link. Do not send money to the details you may have noted from it.</p>`,
  };
  const body = html`<section class="pay-card pay-ended pay-ended-${state}" id="pay-status" data-state="${state}"${redirectUrl ? html` data-redirect="${redirectUrl}"` : ''}>
    <p class="pay-ended-mark" aria-hidden="true">${state === 'paid' ? '✓' : '!'}</p>
    <h2 id="pay-state-text">${stateText[state]}</h2>
    ${messages[state] ?? ''}
    <p class="pay-muted">Reference <span class="mono">${hosted.link.reference}</span></p>
    ${redirectUrl ? html`<p><a class="pay-button" id="pay-redirect" href="${redirectUrl}">Return to ${hosted.merchantName}</a></p><p class="pay-muted small">Taking you back in a few seconds…</p>` : ''}
  </section>`;
  return shell(`${stateText[state]} · ${hosted.merchantName}`, hosted, body);
}

export function notFoundPage(): string {
  return `<!doctype html>${html`<html lang="en">
${head('Payment link not found')}
<body class="pay"><main class="pay-main" id="main"><section class="pay-card pay-ended"><h1>Payment link not found</h1><p>Check the link you were given, or ask the merchant for a new one.</p></section>
<footer class="pay-footer">Payments processed by PIK</footer></main></body></html>`}`;
}
