// Settings › Team: who can sign in to this platform's dashboard; the owner invites and removes members.
import type { TeamMember } from '../../domain/users/users.ts';
import { html, time } from '../html.ts';
import { alert, page, type PageContext } from './layout.ts';

export interface TeamView {
  members: readonly TeamMember[];
  /** Shown once, right after an invitation: the link the owner passes on. */
  invited?: { email: string; inviteUrl: string } | undefined;
  error?: string | undefined;
  notice?: string | undefined;
  formEmail?: string | undefined;
}

export function teamView(ctx: PageContext, view: TeamView): string {
  const isOwner = ctx.user.role === 'owner';
  return page(
    ctx,
    'Team',
    html`<header class="page-header"><p class="breadcrumb">Settings</p><h1>Team</h1>
      <p class="muted">Everyone listed can sign in to this dashboard and manage API keys and webhooks in both environments.</p></header>
    ${alert('error', view.error)}
    ${alert('success', view.notice)}
    ${view.invited
      ? html`<section class="secret-panel" aria-labelledby="invite-title" id="invite">
        <h2 id="invite-title">Invitation for ${view.invited.email}</h2>
        <p class="secret-warning"><strong>Send this link to ${view.invited.email} yourself; it will not be shown again.</strong> It works once, for 7 days.</p>
        <div class="secret-row">
          <label for="invite-url" class="visually-hidden">Invitation link</label>
          <input id="invite-url" class="mono secret-value" type="text" readonly value="${view.invited.inviteUrl}" autocomplete="off" spellcheck="false">
          <button type="button" class="button" data-copy-target="invite-url">Copy</button>
        </div>
        <p class="copy-status" role="status" aria-live="polite" data-copy-status></p>
      </section>`
      : ''}
    <section class="card" aria-labelledby="members-title"><h2 id="members-title">Members</h2>
      <div class="table-wrap"><table class="table">
        <thead><tr><th scope="col">Email</th><th scope="col">Role</th><th scope="col">Status</th><th scope="col">Added</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
        <tbody>${view.members.map(
          (m) => html`<tr>
            <th scope="row">${m.email}${m.id === ctx.user.userId ? html` <span class="muted small">(you)</span>` : ''}</th>
            <td>${m.role === 'owner' ? 'Owner' : 'Member'}</td>
            <td>${m.status === 'active' ? html`<span class="badge badge-success">Active</span>` : html`<span class="badge badge-warning">Invited</span>`}</td>
            <td>${time(m.createdAt)}</td>
            <td class="actions">${isOwner && m.role !== 'owner' ? html`<a class="button button-small button-danger" href="/dashboard/settings/team/${m.id}/remove">Remove<span class="visually-hidden"> ${m.email}</span></a>` : ''}</td>
          </tr>`,
        )}</tbody>
      </table></div>
    </section>
    ${isOwner
      ? html`<section class="card" aria-labelledby="invite-form-title"><h2 id="invite-form-title">Invite a teammate</h2>
        <form method="post" action="/dashboard/settings/team/invite" class="form form-inline">
          <input type="hidden" name="csrf" value="${ctx.csrf}">
          <div class="field field-grow"><label for="invite-email">Email</label>
            <input id="invite-email" name="email" type="email" required maxlength="254" value="${view.formEmail ?? ''}" autocomplete="off"></div>
          <div class="field field-button"><button type="submit" class="button button-primary">Create invitation link</button></div>
        </form></section>`
      : html`<p class="muted">Only the owner can invite or remove members.</p>`}`,
  );
}

export function confirmRemoveView(ctx: PageContext, member: TeamMember): string {
  return page(
    ctx,
    'Remove member',
    html`<header class="page-header"><p class="breadcrumb"><a href="/dashboard/settings/team">Team</a></p><h1>Remove member</h1></header>
    <section class="card narrow danger-zone" aria-labelledby="confirm-title"><h2 id="confirm-title">Remove ${member.email}?</h2>
      <p>They are signed out of ${ctx.user.platformName} at once and can no longer enter it (other platforms they belong to are not affected). API keys they generated keep working until you delete them.</p>
      <form method="post" action="/dashboard/settings/team/${member.id}/remove" class="button-row">
        <input type="hidden" name="csrf" value="${ctx.csrf}">
        <button type="submit" class="button button-danger">Remove ${member.email}</button>
        <a class="button" href="/dashboard/settings/team">Cancel</a>
      </form>
    </section>`,
  );
}
