// A browser-like client for the dashboard over app.inject: a cookie jar, form posts, and the CSRF token read from the page.
import assert from 'node:assert/strict';
import type { TestContext } from './context.ts';

export interface PageResult {
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: string;
  location: string | undefined;
}

export interface DashboardClient {
  cookies: Map<string, string>;
  get(url: string): Promise<PageResult>;
  /** Posts a form; `csrf` defaults to the token on the last page fetched. */
  post(url: string, form: Record<string, string>, options?: { csrf?: string | null; headers?: Record<string, string> }): Promise<PageResult>;
  /** The CSRF token on the last page fetched. */
  csrf(): string;
  signIn(email: string, password: string): Promise<PageResult>;
}

export const testPassword = 'correct horse battery staple';

export function csrfOf(body: string): string | undefined {
  return /name="csrf" value="([^"]+)"/.exec(body)?.[1];
}

export function dashboardClient(ctx: TestContext, ip = '127.0.0.1'): DashboardClient {
  const cookies = new Map<string, string>();
  let lastCsrf: string | undefined;

  const send = async (method: 'GET' | 'POST', url: string, payload?: string, headers: Record<string, string> = {}): Promise<PageResult> => {
    const cookieHeader = [...cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const response = await ctx.app.inject({
      method,
      url,
      remoteAddress: ip,
      headers: {
        ...(cookieHeader ? { cookie: cookieHeader } : {}),
        ...(payload !== undefined ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
        ...headers,
      },
      ...(payload !== undefined ? { payload } : {}),
    });
    const setCookie = response.headers['set-cookie'];
    for (const line of Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : []) {
      const [pair, ...attributes] = line.split(';');
      const [name, ...rest] = (pair ?? '').split('=');
      const value = rest.join('=');
      const isExpired = attributes.some((a) => /max-age=0|expires=thu, 01 jan 1970/i.test(a.trim()));
      if (name) {
        if (isExpired || value === '') cookies.delete(name.trim());
        else cookies.set(name.trim(), value);
      }
    }
    const token = csrfOf(response.body);
    if (token) lastCsrf = token;
    const location = response.headers.location;
    return { status: response.statusCode, headers: response.headers, body: response.body, location: typeof location === 'string' ? location : undefined };
  };

  const client: DashboardClient = {
    cookies,
    get: (url) => send('GET', url),
    post: (url, form, options = {}) => {
      const csrf = options.csrf === undefined ? lastCsrf : options.csrf;
      const fields = new URLSearchParams(form);
      if (csrf !== null && csrf !== undefined) fields.set('csrf', csrf);
      return send('POST', url, fields.toString(), options.headers);
    },
    csrf: () => {
      if (!lastCsrf) throw new Error('no CSRF token on the last page');
      return lastCsrf;
    },
    signIn: async (email, password) => {
      await client.get('/dashboard/sign-in');
      return client.post('/dashboard/sign-in', { email, password });
    },
  };
  return client;
}

let counter = 0;

/** A platform created by the operator with a known owner email and password, plus one sandbox key. */
export async function createDashboardPlatform(ctx: TestContext, options: { withPassword?: boolean; name?: string; emailName?: string } = {}) {
  const email = `${options.emailName ?? 'owner'}-${++counter}-${Math.random().toString(36).slice(2, 8)}@example.test`;
  const created = await ctx.admin('POST', '/admin/v1/platforms', {
    name: options.name ?? `Dash Platform ${counter}`,
    owner_email: email,
    ...(options.withPassword === false ? {} : { owner_password: testPassword }),
  });
  if (created.status !== 201) throw new Error(`platform create failed: ${created.raw}`);
  return { id: created.body.id as string, name: created.body.name as string, email, setPasswordUrl: created.body.set_password_url as string | null };
}

/** A new platform whose owner is signed in, with the client holding the session. */
export async function signedInOwner(ctx: TestContext) {
  const platform = await createDashboardPlatform(ctx);
  const client = dashboardClient(ctx);
  assert.equal((await client.signIn(platform.email, testPassword)).status, 303);
  return { platform, client };
}

/** Invites `email` from Settings › Team as the signed-in client; the one-time link, when the page shows one. */
export async function inviteFromTeamPage(client: DashboardClient, email: string): Promise<{ page: PageResult; link: string | undefined }> {
  await client.get('/dashboard/settings/team');
  const page = await client.post('/dashboard/settings/team/invite', { email });
  return { page, link: /id="invite-url"[^>]*value="([^"]+)"/.exec(page.body)?.[1] };
}
