// Signed-out pages (sign-in, set password from a one-time link) and the signed-in password change page.
import { minPasswordLength } from '../../lib/passwords.ts';
import type { PasswordTokenInfo } from '../../domain/users/users.ts';
import { html } from '../html.ts';
import { alert, page, publicPage, type PageContext } from './layout.ts';

export function signInView(input: { csrf: string; email?: string; error?: string; notice?: string; next?: string }): string {
  return publicPage(
    'Sign in',
    html`<h1>Sign in</h1>
    <p class="muted">Manage your platform's API keys, connected accounts and team.</p>
    ${alert('error', input.error)}
    ${alert('success', input.notice)}
    <form method="post" action="/dashboard/sign-in" class="form">
      <input type="hidden" name="csrf" value="${input.csrf}">
      <input type="hidden" name="next" value="${input.next ?? '/dashboard'}">
      <label for="email">Email</label>
      <input id="email" name="email" type="email" autocomplete="username" required maxlength="254" value="${input.email ?? ''}"${input.email ? '' : html` autofocus`}>
      <label for="password">Password</label>
      <input id="password" name="password" type="password" autocomplete="current-password" required maxlength="256"${input.email ? html` autofocus` : ''}>
      <button type="submit" class="button button-primary button-block">Sign in</button>
    </form>
    <p class="fine-print">No account yet? Your platform's owner can invite you from Settings › Team.</p>`,
  );
}

export function setPasswordView(input: { csrf: string; token: string; info: PasswordTokenInfo; error?: string }): string {
  const isInvite = input.info.purpose === 'invite';
  return publicPage(
    isInvite ? 'Accept invitation' : 'Set your password',
    html`<h1>${isInvite ? `Join ${input.info.platformName}` : 'Set your password'}</h1>
    <p class="muted">${isInvite ? 'You were invited to the PIK Dashboard of ' : 'Choose the password for '}<strong>${isInvite ? input.info.platformName : input.info.email}</strong>${isInvite ? html` as <strong>${input.info.email}</strong>` : ''}. This link works once.</p>
    ${alert('error', input.error)}
    <form method="post" action="/dashboard/set-password" class="form">
      <input type="hidden" name="csrf" value="${input.csrf}">
      <input type="hidden" name="token" value="${input.token}">
      <input type="text" name="username" value="${input.info.email}" autocomplete="username" hidden>
      <label for="new_password">Password</label>
      <input id="new_password" name="new_password" type="password" autocomplete="new-password" required minlength="${minPasswordLength}" maxlength="256" aria-describedby="password-help">
      <p id="password-help" class="help">New to the PIK Dashboard? Choose a password of at least ${minPasswordLength} characters; a passphrase of several words is easiest. Already signing in to another platform with ${input.info.email}? Enter that password: it stays as it is, and you can switch between your platforms.</p>
      <label for="confirm_password">Repeat the password</label>
      <input id="confirm_password" name="confirm_password" type="password" autocomplete="new-password" required maxlength="256">
      <button type="submit" class="button button-primary button-block">${isInvite ? 'Accept invitation' : 'Set password'}</button>
    </form>`,
  );
}

export function invalidLinkView(message: string): string {
  return publicPage(
    'Link not valid',
    html`<h1>This link cannot be used</h1>
    ${alert('error', message)}
    <p>Links to set a password work once and expire. Ask the PIK operator (for a new platform) or your platform's owner (for an invitation) for a new one.</p>
    <p><a href="/dashboard/sign-in">Go to sign-in</a></p>`,
  );
}

export function passwordView(ctx: PageContext, input: { error?: string; notice?: string }): string {
  return page(
    ctx,
    'Password',
    html`<header class="page-header"><h1>Password</h1></header>
    <div class="card narrow">
      ${alert('error', input.error)}
      ${alert('success', input.notice)}
      <form method="post" action="/dashboard/settings/password" class="form">
        <input type="hidden" name="csrf" value="${ctx.csrf}">
        <input type="text" name="username" value="${ctx.user.email}" autocomplete="username" hidden>
        <label for="current_password">Current password</label>
        <input id="current_password" name="current_password" type="password" autocomplete="current-password" required maxlength="256">
        <label for="new_password">New password</label>
        <input id="new_password" name="new_password" type="password" autocomplete="new-password" required minlength="${minPasswordLength}" maxlength="256" aria-describedby="password-help">
        <p id="password-help" class="help">At least ${minPasswordLength} characters. Changing it signs you out everywhere else.</p>
        <label for="confirm_password">Repeat the new password</label>
        <input id="confirm_password" name="confirm_password" type="password" autocomplete="new-password" required maxlength="256">
        <button type="submit" class="button button-primary">Change password</button>
      </form>
    </div>`,
  );
}

export function errorView(status: number, title: string, message: string, action?: { href: string; label: string }): string {
  return publicPage(
    title,
    html`<h1>${title}</h1>
    <p>${message}</p>
    <p class="muted">Error ${status}.</p>
    <p><a href="${action?.href ?? '/dashboard'}">${action?.label ?? 'Back to the dashboard'}</a></p>`,
  );
}
