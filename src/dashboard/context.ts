// Per-request dashboard state (the signed-in user, the form body) and the helpers routes use to read it.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Environment } from '../lib/environments.ts';
import { ApiError, invalidField } from '../lib/errors.ts';
import type { Database } from '../db/database.ts';
import { runUnitOfWork, type AuditOrigin, type UnitOfWork } from '../db/unit-of-work.ts';
import type { DashboardUser } from '../domain/users/sessions.ts';
import { csrfTokenFor } from './security.ts';

declare module 'fastify' {
  interface FastifyRequest {
    dashboardUser?: DashboardUser;
    /** The raw session token from the cookie; only ever used to derive the CSRF token. */
    sessionToken?: string;
  }
  interface FastifyContextConfig {
    /** A signed-out form (sign-in, set-password): its CSRF token comes from the pre-session cookie. */
    isPublicForm?: boolean;
  }
}

export type FormBody = Record<string, string>;

/**
 * What a signed-in form's CSRF token is derived from: the session token and the platform the session is in, so a
 * form left open in another tab before a platform switch is refused (reload) instead of acting on the other platform.
 */
export function sessionCsrfSecret(request: FastifyRequest): string | undefined {
  return request.sessionToken && request.dashboardUser ? `${request.sessionToken}:${request.dashboardUser.platformId}` : undefined;
}

/** The signed-in user, or SESSION_REQUIRED (the error handler sends a browser to the sign-in page). */
export function requireUser(request: FastifyRequest): { user: DashboardUser; csrf: string } {
  const secret = sessionCsrfSecret(request);
  if (!request.dashboardUser || !secret) throw new ApiError('SESSION_REQUIRED');
  return { user: request.dashboardUser, csrf: csrfTokenFor(secret) };
}

export function formOf(request: FastifyRequest): FormBody {
  const body = request.body;
  return body && typeof body === 'object' ? (body as FormBody) : (Object.create(null) as FormBody);
}

/** A text field of a submitted form: '' when absent, 400 when longer than any legitimate value. */
export function field(form: FormBody, name: string, maxLength: number): string {
  const value = Object.hasOwn(form, name) ? String(form[name]) : '';
  if (value.length > maxLength) throw invalidField(name, `${name} must be at most ${maxLength} characters.`);
  return value;
}

export function environmentParam(value: unknown, served: readonly Environment[]): Environment {
  if ((value === 'sandbox' || value === 'production') && served.includes(value)) return value;
  throw new ApiError('PAGE_NOT_FOUND');
}

export function sendPage(reply: FastifyReply, htmlText: string, status = 200): FastifyReply {
  return reply.code(status).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(htmlText);
}

/** Only same-dashboard paths are accepted as a redirect target after sign-in (no open redirect). */
export function safeNext(value: unknown): string {
  return typeof value === 'string' && /^\/dashboard(\/[A-Za-z0-9_\-/]*)?$/.test(value) && !value.includes('//') ? value : '/dashboard';
}

/** Who a dashboard action's audit entries name: the signed-in user (or nobody yet), from this address and browser. */
export function dashboardOrigin(request: FastifyRequest): AuditOrigin {
  const user = request.dashboardUser;
  return { actor: user ? { type: 'user', id: user.userId } : { type: 'system', id: null }, ip: request.ip, userAgent: request.headers['user-agent'] ?? null };
}

/** A dashboard action's unit of work, its audit entries attributed to the signed-in user. */
export function runDashboardWork<T>(db: Database, request: FastifyRequest, fn: (work: UnitOfWork) => Promise<T>): Promise<T> {
  return runUnitOfWork(db, fn, undefined, dashboardOrigin(request));
}
