// Payments › Payment Links: list, create and cancel the platform's links per environment; a link's payments; a payment.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { paymentLinkStatuses, type PaymentLinkStatus } from '../../db/schema.ts';
import { runUnitOfWork } from '../../db/unit-of-work.ts';
import { getPlatformAccount, searchAccounts } from '../../domain/dashboard/accounts-view.ts';
import { cancelPaymentLink, createPaymentLink, getPaymentLink, listPaymentLinks, type LinkOwner } from '../../domain/payment-links/links.ts';
import { getPayment, listPayments } from '../../domain/payment-links/payments.ts';
import { ApiError } from '../../lib/errors.ts';
import type { Services } from '../../services.ts';
import { environmentParam, field, formOf, requireUser, sendPage, type FormBody } from '../context.ts';
import { linkPageView, linksView, paymentPageView, type LinkFormValues, type LinksListView } from '../views/payment-links.ts';

function formValues(form: FormBody): LinkFormValues {
  return {
    accountId: field(form, 'account_id', 100),
    amountType: field(form, 'amount_type', 10),
    currency: field(form, 'currency', 10),
    amount: field(form, 'amount', 30).trim(),
    reference: field(form, 'reference', 100).trim(),
    expiry: field(form, 'expiry', 40).trim(),
    singleUse: field(form, 'single_use', 10) !== '',
    merchantName: field(form, 'merchant_name', 200),
    redirectUrl: field(form, 'redirect_url', 2000).trim(),
  };
}

export async function paymentLinkRoutes(app: FastifyInstance, services: Services): Promise<void> {
  const served = services.config.environments;
  const publicUrl = services.config.publicUrl;
  const context = (request: FastifyRequest) => {
    const { user, csrf } = requireUser(request);
    const environment = environmentParam((request.params as { environment?: string }).environment, served);
    const owner: LinkOwner = { platformId: user.platformId, environment };
    return { ctx: { user, csrf, environment, active: 'payment-links' as const }, owner };
  };
  const idParam = (request: FastifyRequest, name = 'id') => String((request.params as Record<string, string>)[name]).slice(0, 100);

  const listView = async (request: FastifyRequest, owner: LinkOwner): Promise<LinksListView> => {
    const query = request.query as Record<string, unknown>;
    const status = typeof query.status === 'string' && (paymentLinkStatuses as readonly string[]).includes(query.status) ? (query.status as PaymentLinkStatus) : 'all';
    const cursor = typeof query.cursor === 'string' && query.cursor.length < 200 ? query.cursor : undefined;
    const page = await listPaymentLinks(services, owner, { limit: 25, cursor }, { status: status === 'all' ? undefined : status });
    const accounts = await searchAccounts(services, requireUser(request).user, { environment: owner.environment, query: '', limit: 100 });
    return { environment: owner.environment, served, status, links: page.data, nextCursor: page.nextCursor, accounts: accounts.data, publicUrl };
  };

  app.get('/payments/links', async (request, reply) => {
    requireUser(request);
    return reply.redirect(`/dashboard/payments/links/${served.includes('sandbox') ? 'sandbox' : served[0]}`, 303);
  });

  app.get('/payments/links/:environment', async (request, reply) => {
    const { ctx, owner } = context(request);
    const view = await listView(request, owner);
    if ((request.query as Record<string, unknown>).cancelled !== undefined) view.notice = 'Payment link cancelled.';
    return sendPage(reply, linksView(ctx, view));
  });

  app.post('/payments/links/:environment', async (request, reply) => {
    const { ctx, owner } = context(request);
    const values = formValues(formOf(request));
    try {
      // The account must be the platform's own or one of its connected accounts in this environment.
      const account = await getPlatformAccount(services, ctx.user, owner.environment, values.accountId || ctx.user.platformId);
      const created = await runUnitOfWork(services.db, (work) =>
        createPaymentLink(services, work, { ...owner, accountId: account.id }, {
          amountType: values.amountType,
          currency: values.currency,
          amount: values.amountType === 'fixed' ? values.amount : undefined,
          reference: values.reference,
          expiry: values.expiry || undefined,
          singleUse: values.singleUse,
          merchantName: values.merchantName.trim() || undefined,
          redirectUrl: values.redirectUrl || undefined,
        }),
      );
      return reply.redirect(`/dashboard/payments/links/${owner.environment}/${created.link.id}?created=1`, 303);
    } catch (error) {
      if (!(error instanceof ApiError) || error.status >= 500) throw error;
      return sendPage(reply, linksView(ctx, { ...(await listView(request, owner)), error: error.message, form: values }), error.status);
    }
  });

  app.get('/payments/links/:environment/:id', async (request, reply) => {
    const { ctx, owner } = context(request);
    const link = await getPaymentLink(services, owner, idParam(request));
    const payments = await listPayments(services, owner, { limit: 100 }, { paymentLinkId: link.link.id });
    const query = request.query as Record<string, unknown>;
    const notice = query.created !== undefined ? 'Payment link created. Share its page or QR code with the payer.' : undefined;
    return sendPage(reply, linkPageView(ctx, { environment: owner.environment, link, payments: payments.data, publicUrl, notice }));
  });

  app.post('/payments/links/:environment/:id/cancel', async (request, reply) => {
    const { owner } = context(request);
    const link = await runUnitOfWork(services.db, (work) => cancelPaymentLink(services, work, owner, idParam(request)));
    return reply.redirect(`/dashboard/payments/links/${owner.environment}?cancelled=${encodeURIComponent(link.link.id)}`, 303);
  });

  app.get('/payments/:environment/:paymentId', async (request, reply) => {
    const { ctx, owner } = context(request);
    const payment = await getPayment(services, owner, idParam(request, 'paymentId'));
    return sendPage(reply, paymentPageView(ctx, owner.environment, payment));
  });
}
