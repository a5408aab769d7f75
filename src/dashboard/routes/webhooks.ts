// Settings › Webhooks: endpoints per environment — add (secret shown once), edit, send a test event, rotate the secret,
// disable or enable, delete with confirmation — and each endpoint's deliveries with Resend. Owners and members alike,
// as for API keys: a member may already generate keys, which can do everything an endpoint can.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { lastResults } from '../../domain/dashboard/webhooks-view.ts';
import {
  createEndpoint,
  deleteEndpoint,
  getEndpoint,
  listEndpoints,
  maxEndpointsPerEnvironment,
  rotateEndpointSecret,
  sendTestEvent,
  updateEndpoint,
  type WebhookOwner,
} from '../../domain/webhooks/endpoints.ts';
import { listDeliveries, redeliverEvent } from '../../domain/webhooks/event-log.ts';
import type { Environment } from '../../lib/environments.ts';
import { ApiError, invalidField } from '../../lib/errors.ts';
import { isId } from '../../lib/ids.ts';
import type { Services } from '../../services.ts';
import { environmentParam, field, formOf, requireUser, sendPage, type FormBody, runDashboardWork } from '../context.ts';
import { FormOnce } from '../form-once.ts';
import type { PageContext } from '../views/layout.ts';
import {
  confirmDeleteEndpointView,
  endpointPageView,
  endpointsBase,
  endpointsView,
  rotationOverlaps,
  subscribableTypes,
  type EndpointFormValues,
  type EndpointPageView,
  type EndpointsView,
} from '../views/webhooks.ts';

const deliveriesPerPage = 20;

/** Refusals a user can correct on the same page; anything else (404, 500) gets the error page. */
const shownOnForm = new Set(['INVALID_REQUEST', 'INVALID_WEBHOOK_URL', 'UNKNOWN_EVENT_TYPE', 'WEBHOOK_ENDPOINT_LIMIT', 'WEBHOOK_ENDPOINT_DISABLED']);

export function isShownOnForm(error: unknown): error is ApiError {
  return error instanceof ApiError && shownOnForm.has(error.code);
}

/** The API's message, except where it names an API call the dashboard user does not make. */
export function formMessage(error: ApiError): string {
  return error.code === 'WEBHOOK_ENDPOINT_DISABLED' ? 'This endpoint is disabled: enable it first.' : error.message;
}

/** The notices a redirect after an action may ask for: fixed texts, so the query string cannot put words on the page. */
const notices: Record<string, string> = {
  test: 'Test event sent. Its delivery appears below within moments; reload to see the result.',
  resent: 'Queued again. The new attempt appears below within moments; reload to see the result.',
  enabled: 'Endpoint enabled: new events are delivered to it again. Resend the undelivered ones you still need.',
  disabled: 'Endpoint disabled: no more deliveries until you enable it.',
  saved: 'Changes saved.',
};

export function endpointFormValues(form: FormBody): EndpointFormValues {
  const url = field(form, 'url', 2048);
  const description = field(form, 'description', 500);
  const events = Object.hasOwn(form, 'all_events') ? ['*'] : subscribableTypes.filter((t) => Object.hasOwn(form, `event:${t}`));
  return { url, description, events };
}

function checkEventsChosen(values: EndpointFormValues): void {
  if (values.events.length === 0) throw invalidField('events', 'Choose the events to send: tick “All events” or at least one type.');
}

function cursorParam(request: FastifyRequest): string | undefined {
  const cursor = (request.query as Record<string, unknown>).cursor;
  return typeof cursor === 'string' && cursor !== '' ? cursor.slice(0, 200) : undefined;
}

export async function webhookRoutes(app: FastifyInstance, services: Services): Promise<void> {
  const served = services.config.environments;
  const addForms = new FormOnce();
  const rotateForms = new FormOnce();

  const context = (request: FastifyRequest) => {
    const { user, csrf } = requireUser(request);
    const environment = environmentParam((request.params as { environment?: string }).environment, served);
    const owner: WebhookOwner = { platformId: user.platformId, environment };
    const ctx: PageContext & { environment: Environment } = { user, csrf, environment, active: 'webhooks' };
    return { ctx, owner, sessionId: user.sessionId };
  };
  const endpointIdOf = (request: FastifyRequest) => String((request.params as { id: string }).id);

  const listView = async (owner: WebhookOwner): Promise<EndpointsView> => {
    // At most 16 endpoints per environment: one page holds them all.
    const endpoints = (await listEndpoints(services, owner, { limit: maxEndpointsPerEnvironment })).data;
    return {
      environment: owner.environment,
      served,
      endpoints,
      lastResults: await lastResults(services, owner, endpoints.map((e) => e.id)),
      disableAfterMs: services.config.webhooks.disableAfterMs,
      maxEndpoints: maxEndpointsPerEnvironment,
      formId: addForms.newId(),
    };
  };

  const endpointView = async (owner: WebhookOwner, endpointId: string, cursor?: string): Promise<EndpointPageView> => {
    const endpoint = await getEndpoint(services, owner, endpointId);
    const deliveries = await listDeliveries(services, owner, endpoint.id, { limit: deliveriesPerPage, cursor });
    return {
      environment: owner.environment,
      endpoint,
      deliveries: deliveries.data,
      nextCursor: deliveries.nextCursor,
      isFirstPage: cursor === undefined,
      disableAfterMs: services.config.webhooks.disableAfterMs,
      now: services.now(),
      rotateFormId: rotateForms.newId(),
    };
  };

  /** Runs an action on the endpoint page: a redirect with a notice when it works, the page with the error when refused. */
  const endpointAction = async (request: FastifyRequest, reply: FastifyReply, action: (owner: WebhookOwner, endpointId: string, form: FormBody) => Promise<string>) => {
    const { ctx, owner } = context(request);
    const endpointId = endpointIdOf(request);
    try {
      const notice = await action(owner, endpointId, formOf(request));
      return reply.redirect(`${endpointsBase(owner.environment)}/${endpointId}?done=${notice}`, 303);
    } catch (error) {
      if (!isShownOnForm(error)) throw error;
      return sendPage(reply, endpointPageView(ctx, { ...(await endpointView(owner, endpointId)), error: formMessage(error) }), error.status);
    }
  };

  app.get('/settings/webhooks', async (request, reply) => {
    requireUser(request);
    return reply.redirect(`/dashboard/settings/webhooks/${served.includes('sandbox') ? 'sandbox' : served[0]}`, 303);
  });

  app.get('/settings/webhooks/:environment', async (request, reply) => {
    const { ctx, owner } = context(request);
    const view = await listView(owner);
    if ((request.query as Record<string, unknown>).deleted !== undefined) view.notice = 'Endpoint deleted. PIK sends it nothing more.';
    return sendPage(reply, endpointsView(ctx, view));
  });

  app.post('/settings/webhooks/:environment', async (request, reply) => {
    const { ctx, owner, sessionId } = context(request);
    const form = formOf(request);
    const formId = field(form, 'form_id', 64);
    if (!addForms.claim(sessionId, formId)) {
      const view = await listView(owner);
      view.notice = 'This form was already sent, so no second endpoint was added. The endpoint it added is in the list; its secret was shown once.';
      return sendPage(reply, endpointsView(ctx, view), 409);
    }
    let values: EndpointFormValues | undefined;
    let created;
    try {
      values = endpointFormValues(form);
      checkEventsChosen(values);
      const input = { url: values.url, events: values.events, description: values.description };
      created = await runDashboardWork(services.db, request, (work) => createEndpoint(services, work, owner, input));
    } catch (error) {
      addForms.release(sessionId, formId);
      if (!isShownOnForm(error)) throw error;
      return sendPage(reply, endpointsView(ctx, { ...(await listView(owner)), error: formMessage(error), form: values }), error.status);
    }
    // The secret goes into this one response (no-store) and nowhere else: not a redirect, a session or a log line.
    return sendPage(reply, endpointsView(ctx, { ...(await listView(owner)), created }), 201);
  });

  app.get('/settings/webhooks/:environment/:id', async (request, reply) => {
    const { ctx, owner } = context(request);
    const view = await endpointView(owner, endpointIdOf(request), cursorParam(request));
    const done = (request.query as Record<string, unknown>).done;
    if (typeof done === 'string' && Object.hasOwn(notices, done)) view.notice = notices[done];
    return sendPage(reply, endpointPageView(ctx, view));
  });

  app.post('/settings/webhooks/:environment/:id', async (request, reply) => {
    const { ctx, owner } = context(request);
    const endpointId = endpointIdOf(request);
    let values: EndpointFormValues | undefined;
    try {
      values = endpointFormValues(formOf(request));
      checkEventsChosen(values);
      const patch = { url: values.url, events: values.events, description: values.description };
      await runDashboardWork(services.db, request, (work) => updateEndpoint(services, work, owner, endpointId, patch));
    } catch (error) {
      if (!isShownOnForm(error)) throw error;
      return sendPage(reply, endpointPageView(ctx, { ...(await endpointView(owner, endpointId)), error: formMessage(error), form: values }), error.status);
    }
    return reply.redirect(`${endpointsBase(owner.environment)}/${endpointId}?done=saved`, 303);
  });

  app.post('/settings/webhooks/:environment/:id/test', async (request, reply) =>
    endpointAction(request, reply, async (owner, endpointId) => {
      await runDashboardWork(services.db, request, (work) => sendTestEvent(services, work, owner, endpointId));
      return 'test';
    }),
  );

  app.post('/settings/webhooks/:environment/:id/resend', async (request, reply) =>
    endpointAction(request, reply, async (owner, endpointId, form) => {
      const eventId = field(form, 'event_id', 100);
      // A malformed id is one no event has: the same 404 as another platform's event.
      if (!isId('event', eventId)) throw new ApiError('EVENT_NOT_FOUND');
      await runDashboardWork(services.db, request, (work) => redeliverEvent(services, work, owner, eventId, endpointId));
      return 'resent';
    }),
  );

  app.post('/settings/webhooks/:environment/:id/status', async (request, reply) =>
    endpointAction(request, reply, async (owner, endpointId, form) => {
      const status = field(form, 'status', 20);
      if (status !== 'enabled' && status !== 'disabled') throw invalidField('status', 'status must be enabled or disabled.');
      await runDashboardWork(services.db, request, (work) => updateEndpoint(services, work, owner, endpointId, { status }));
      return status;
    }),
  );

  app.post('/settings/webhooks/:environment/:id/rotate', async (request, reply) => {
    const { ctx, owner, sessionId } = context(request);
    const endpointId = endpointIdOf(request);
    const form = formOf(request);
    const formId = field(form, 'form_id', 64);
    const overlap = rotationOverlaps.find((o) => String(o.seconds) === field(form, 'expires_in_seconds', 10));
    if (!overlap) throw invalidField('expires_in_seconds', 'Choose when the old secret stops signing: now, in 1 hour or in 24 hours.');
    // A reload of the page showing the new secret would rotate again, and the secret just copied would become the old one.
    if (!rotateForms.claim(sessionId, formId)) {
      const view = await endpointView(owner, endpointId);
      view.notice = 'This form was already sent, so the secret was not rotated again. The new secret was shown once; rotate again if you did not copy it.';
      return sendPage(reply, endpointPageView(ctx, view), 409);
    }
    let rotated;
    try {
      rotated = await runDashboardWork(services.db, request, (work) => rotateEndpointSecret(services, work, owner, endpointId, overlap.seconds));
    } catch (error) {
      rotateForms.release(sessionId, formId);
      throw error;
    }
    return sendPage(reply, endpointPageView(ctx, { ...(await endpointView(owner, endpointId)), rotated: rotated.secret }));
  });

  app.get('/settings/webhooks/:environment/:id/delete', async (request, reply) => {
    const { ctx, owner } = context(request);
    return sendPage(reply, confirmDeleteEndpointView(ctx, owner.environment, await getEndpoint(services, owner, endpointIdOf(request))));
  });

  app.post('/settings/webhooks/:environment/:id/delete', async (request, reply) => {
    const { owner } = context(request);
    await runDashboardWork(services.db, request, (work) => deleteEndpoint(services, work, owner, endpointIdOf(request)));
    return reply.redirect(`${endpointsBase(owner.environment)}?deleted=1`, 303);
  });
}
