// The page shell: signed-in pages get the top bar and navigation; signed-out pages a centred card.
import type { Environment } from '../../lib/environments.ts';
import type { DashboardUser } from '../../domain/users/sessions.ts';
import { html, type Html } from '../html.ts';

export interface PageContext {
  user: DashboardUser;
  csrf: string;
  /** Which navigation entry is current. */
  active: 'keys' | 'webhooks' | 'accounts' | 'payment-links' | 'events' | 'team' | 'password' | 'audit';
  environment?: Environment | undefined;
}

/** A page's <head>: its title, one stylesheet and one deferred script of our own (the CSP allows nothing else). */
export function documentHead(title: string, assets: { stylesheet: string; script: string }, extra: Html = html``): Html {
  return html`<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
${extra}<link rel="icon" href="data:,">
<title>${title}</title>
<link rel="stylesheet" href="${assets.stylesheet}">
<script src="${assets.script}" defer></script>
</head>`;
}

const head = (title: string): Html => documentHead(`${title} · PIK Dashboard`, { stylesheet: '/dashboard/assets/app.css', script: '/dashboard/assets/app.js' });

function navLink(href: string, label: string, isCurrent: boolean): Html {
  return html`<li><a href="${href}"${isCurrent ? html` aria-current="page"` : ''}>${label}</a></li>`;
}

/** The current platform's name; with several memberships, a form to switch (a plain POST: it works without script). */
function platformSwitcher(ctx: PageContext): Html {
  if (ctx.user.platforms.length < 2) return html`<span class="platform-name" title="${ctx.user.platformId}">${ctx.user.platformName}</span>`;
  return html`<form method="post" action="/dashboard/switch-platform" class="platform-name platform-switcher">
    <input type="hidden" name="csrf" value="${ctx.csrf}">
    <label for="platform-switch" class="visually-hidden">Platform</label>
    <select id="platform-switch" name="platform_id">
      ${ctx.user.platforms.map((p) => html`<option value="${p.id}"${p.id === ctx.user.platformId ? html` selected` : ''}>${p.name}</option>`)}
    </select>
    <button type="submit" class="button button-quiet">Switch</button>
  </form>`;
}

export function page(ctx: PageContext, title: string, body: Html): string {
  // Without an environment in view, the bare paths redirect to one this deployment serves.
  const env = ctx.environment ? `/${ctx.environment}` : '';
  return `<!doctype html>${html`<html lang="en">
${head(title)}
<body>
<a class="skip-link" href="#main">Skip to content</a>
<header class="topbar">
  <a class="brand" href="/dashboard"><span class="brand-mark" aria-hidden="true">P</span> PIK Dashboard</a>
  ${platformSwitcher(ctx)}
  <div class="topbar-user">
    <span class="user-email">${ctx.user.email}</span>
    <form method="post" action="/dashboard/sign-out">
      <input type="hidden" name="csrf" value="${ctx.csrf}">
      <button type="submit" class="button button-quiet">Sign out</button>
    </form>
  </div>
</header>
<div class="shell">
  <nav class="sidebar" aria-label="Main">
    <p class="nav-heading">Platform</p>
    <ul>
      ${navLink(`/dashboard/accounts${env}`, 'Accounts', ctx.active === 'accounts')}
    </ul>
    <p class="nav-heading">Payments</p>
    <ul>
      ${navLink(`/dashboard/payments/links${env}`, 'Payment Links', ctx.active === 'payment-links')}
    </ul>
    <p class="nav-heading">Settings</p>
    <ul>
      ${navLink(`/dashboard/settings/api-keys${env}`, 'API Keys', ctx.active === 'keys')}
      ${navLink(`/dashboard/settings/webhooks${env}`, 'Webhooks', ctx.active === 'webhooks')}
      ${navLink('/dashboard/settings/team', 'Team', ctx.active === 'team')}
      ${navLink('/dashboard/settings/audit-log', 'Audit log', ctx.active === 'audit')}
      ${navLink('/dashboard/settings/password', 'Password', ctx.active === 'password')}
    </ul>
    <p class="nav-heading">Developers</p>
    <ul>
      ${navLink(`/dashboard/developers/events${env}`, 'Events', ctx.active === 'events')}
    </ul>
  </nav>
  <main id="main" tabindex="-1">
${body}
  </main>
</div>
</body>
</html>`}`;
}

export function publicPage(title: string, body: Html): string {
  return `<!doctype html>${html`<html lang="en">
${head(title)}
<body class="public">
<main id="main" class="public-main">
  <div class="public-brand"><span class="brand-mark" aria-hidden="true">P</span> PIK Dashboard</div>
  <div class="card public-card">
${body}
  </div>
</main>
</body>
</html>`}`;
}

/** The Production / Sandbox tabs: real links, so they work without script and with the keyboard. */
export function environmentTabs(base: string, current: Environment, served: readonly Environment[]): Html {
  const label: Record<Environment, string> = { production: 'Production', sandbox: 'Sandbox' };
  const order: Environment[] = ['production', 'sandbox'];
  return html`<nav class="tabs" aria-label="Environment">
    ${order
      .filter((e) => served.includes(e))
      .map((e) => html`<a class="tab tab-${e}" href="${base}/${e}"${e === current ? html` aria-current="page"` : ''}>${label[e]}</a>`)}
  </nav>`;
}

export function alert(kind: 'error' | 'success' | 'warning' | 'info', message: Html | string | undefined): Html {
  if (!message) return html``;
  const role = kind === 'error' ? 'alert' : 'status';
  return html`<div class="alert alert-${kind}" role="${role}">${message}</div>`;
}
