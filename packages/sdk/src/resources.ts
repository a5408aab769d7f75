// The API's resources as the SDK shows them: one object per resource, one method per route (src/http/routes on the
// server). Every method takes the route's typed body or query and returns its typed answer; lists return a List.
import type { RequestOptions, Transport } from './core.js';
import { List } from './pagination.js';
import type { ApiPath, BodyOr, Capability, ListItem, ListParams, QueryParams, RequestBody, ResponseBody } from './types.js';
import { verifyWebhook, type VerifyOptions, type WebhookEvent, type WebhookHeaders } from './webhook-signature.js';

const id = (value: string): string => encodeURIComponent(value);

abstract class Resource {
  constructor(protected readonly transport: Transport) {}

  protected getJson<P extends ApiPath>(path: string, query?: object, options?: RequestOptions): Promise<ResponseBody<P, 'get'>> {
    return this.transport.request({ method: 'GET', path, query: query as Record<string, string>, options });
  }

  protected postJson<P extends ApiPath>(path: string, body: unknown, options?: RequestOptions): Promise<ResponseBody<P, 'post'>> {
    return this.transport.request({ method: 'POST', path, body: body ?? undefined, options });
  }

  protected patchJson<P extends ApiPath>(path: string, body: unknown, options?: RequestOptions): Promise<ResponseBody<P, 'patch'>> {
    return this.transport.request({ method: 'PATCH', path, body, options });
  }

  protected deleteJson<P extends ApiPath>(path: string, options?: RequestOptions): Promise<ResponseBody<P, 'delete'>> {
    return this.transport.request({ method: 'DELETE', path, options });
  }

  protected listOf<P extends ApiPath>(path: string, params: object = {}, options?: RequestOptions): List<ListItem<P>> {
    const { cursor, ...filters } = params as { cursor?: string };
    return new List<ListItem<P>>(
      (at) => this.transport.request({ method: 'GET', path, query: { ...(filters as Record<string, string>), cursor: at }, options }),
      cursor,
    );
  }
}

class Verification extends Resource {
  /** GET /accounts/{id}/verification: status, reasons, what is still due. */
  get(accountId: string, options?: RequestOptions) {
    return this.getJson<'/api/v1/accounts/{id}/verification'>(`/accounts/${id(accountId)}/verification`, undefined, options);
  }
}

class IdentitySubmission<P extends '/api/v1/accounts/{id}/kyc' | '/api/v1/accounts/{id}/kyb'> extends Resource {
  constructor(
    transport: Transport,
    private readonly kind: 'kyc' | 'kyb',
  ) {
    super(transport);
  }
  /** POST /accounts/{id}/kyc or /kyb: submit the identity; the account becomes pending. */
  submit(accountId: string, body: RequestBody<P, 'post'>, options?: RequestOptions) {
    return this.postJson<P>(`/accounts/${id(accountId)}/${this.kind}`, body, options);
  }
}

class Capabilities extends Resource {
  /** GET /accounts/{id}/capabilities */
  list(accountId: string, options?: RequestOptions) {
    return this.getJson<'/api/v1/accounts/{id}/capabilities'>(`/accounts/${id(accountId)}/capabilities`, undefined, options);
  }
  /** POST /accounts/{id}/capabilities/{name}: the account must be approved. */
  activate(accountId: string, name: Capability, options?: RequestOptions) {
    return this.postJson<'/api/v1/accounts/{id}/capabilities/{name}'>(`/accounts/${id(accountId)}/capabilities/${id(name)}`, undefined, options);
  }
  /** DELETE /accounts/{id}/capabilities/{name} */
  deactivate(accountId: string, name: Capability, options?: RequestOptions) {
    return this.deleteJson<'/api/v1/accounts/{id}/capabilities/{name}'>(`/accounts/${id(accountId)}/capabilities/${id(name)}`, options);
  }
}

class VirtualAccount extends Resource {
  /** POST /accounts/{id}/virtual-account: issue the AUD virtual account number. */
  create(accountId: string, body: BodyOr<RequestBody<'/api/v1/accounts/{id}/virtual-account', 'post'>, { account_name?: string }> = {}, options?: RequestOptions) {
    return this.postJson<'/api/v1/accounts/{id}/virtual-account'>(`/accounts/${id(accountId)}/virtual-account`, body, options);
  }
  get(accountId: string, options?: RequestOptions) {
    return this.getJson<'/api/v1/accounts/{id}/virtual-account'>(`/accounts/${id(accountId)}/virtual-account`, undefined, options);
  }
  /** DELETE /accounts/{id}/virtual-account */
  release(accountId: string, options?: RequestOptions) {
    return this.deleteJson<'/api/v1/accounts/{id}/virtual-account'>(`/accounts/${id(accountId)}/virtual-account`, options);
  }
}

export class Accounts extends Resource {
  readonly kyc: IdentitySubmission<'/api/v1/accounts/{id}/kyc'>;
  readonly kyb: IdentitySubmission<'/api/v1/accounts/{id}/kyb'>;
  readonly verification: Verification;
  readonly capabilities: Capabilities;
  readonly virtualAccount: VirtualAccount;

  constructor(transport: Transport) {
    super(transport);
    this.kyc = new IdentitySubmission(transport, 'kyc');
    this.kyb = new IdentitySubmission(transport, 'kyb');
    this.verification = new Verification(transport);
    this.capabilities = new Capabilities(transport);
    this.virtualAccount = new VirtualAccount(transport);
  }

  /** POST /accounts: a connected account. */
  create(body: RequestBody<'/api/v1/accounts', 'post'>, options?: RequestOptions) {
    return this.postJson<'/api/v1/accounts'>('/accounts', body, options);
  }
  /** GET /accounts/{id} */
  get(accountId: string, options?: RequestOptions) {
    return this.getJson<'/api/v1/accounts/{id}'>(`/accounts/${id(accountId)}`, undefined, options);
  }
  /** GET /account: the account in scope (the platform, or the connected account of onBehalfOf). */
  current(options?: RequestOptions) {
    return this.getJson<'/api/v1/account'>('/account', undefined, options);
  }
  /** GET /accounts: connected accounts, newest first. */
  list(params: ListParams<'/api/v1/accounts'> = {}, options?: RequestOptions) {
    return this.listOf<'/api/v1/accounts'>('/accounts', params, options);
  }
  /** PATCH /accounts/{id}: display_name, email, reference_id, metadata (merged). */
  update(accountId: string, body: RequestBody<'/api/v1/accounts/{id}', 'patch'>, options?: RequestOptions) {
    return this.patchJson<'/api/v1/accounts/{id}'>(`/accounts/${id(accountId)}`, body, options);
  }
  /** GET /accounts/{id}/receiving-details: where third parties can pay in. */
  receivingDetails(accountId: string, options?: RequestOptions) {
    return this.getJson<'/api/v1/accounts/{id}/receiving-details'>(`/accounts/${id(accountId)}/receiving-details`, undefined, options);
  }
}

export class Wallets extends Resource {
  /** GET /accounts/{id}/wallet/balances */
  balances(accountId: string, options?: RequestOptions) {
    return this.getJson<'/api/v1/accounts/{id}/wallet/balances'>(`/accounts/${id(accountId)}/wallet/balances`, undefined, options);
  }
  /** GET /accounts/{id}/transactions: ledger history, newest first. */
  transactions(accountId: string, params: ListParams<'/api/v1/accounts/{id}/transactions'> = {}, options?: RequestOptions) {
    return this.listOf<'/api/v1/accounts/{id}/transactions'>(`/accounts/${id(accountId)}/transactions`, params, options);
  }
}

export class Balances extends Resource {
  /** GET /accounts/{id}/wallet/balances */
  get(accountId: string, options?: RequestOptions) {
    return this.getJson<'/api/v1/accounts/{id}/wallet/balances'>(`/accounts/${id(accountId)}/wallet/balances`, undefined, options);
  }
}

export class Transfers extends Resource {
  /** POST /transfers: between the platform and its connected accounts, or between connected accounts. */
  create(body: RequestBody<'/api/v1/transfers', 'post'>, options?: RequestOptions) {
    return this.postJson<'/api/v1/transfers'>('/transfers', body, options);
  }
  get(transferId: string, options?: RequestOptions) {
    return this.getJson<'/api/v1/transfers/{id}'>(`/transfers/${id(transferId)}`, undefined, options);
  }
  list(params: ListParams<'/api/v1/transfers'> = {}, options?: RequestOptions) {
    return this.listOf<'/api/v1/transfers'>('/transfers', params, options);
  }
}

export class Payouts extends Resource {
  /** POST /payouts: from the account in scope (needs the payouts capability). */
  create(body: RequestBody<'/api/v1/payouts', 'post'>, options?: RequestOptions) {
    return this.postJson<'/api/v1/payouts'>('/payouts', body, options);
  }
  get(payoutId: string, options?: RequestOptions) {
    return this.getJson<'/api/v1/payouts/{id}'>(`/payouts/${id(payoutId)}`, undefined, options);
  }
  list(params: ListParams<'/api/v1/payouts'> = {}, options?: RequestOptions) {
    return this.listOf<'/api/v1/payouts'>('/payouts', params, options);
  }
}

class FxQuotes extends Resource {
  /** POST /fx/quotes: a locked rate, single use, until it expires. */
  create(body: RequestBody<'/api/v1/fx/quotes', 'post'>, options?: RequestOptions) {
    return this.postJson<'/api/v1/fx/quotes'>('/fx/quotes', body, options);
  }
  get(quoteId: string, options?: RequestOptions) {
    return this.getJson<'/api/v1/fx/quotes/{id}'>(`/fx/quotes/${id(quoteId)}`, undefined, options);
  }
}

class FxConversions extends Resource {
  /** POST /fx/conversions: at a quote, or at the current rate. */
  create(body: RequestBody<'/api/v1/fx/conversions', 'post'>, options?: RequestOptions) {
    return this.postJson<'/api/v1/fx/conversions'>('/fx/conversions', body, options);
  }
  get(conversionId: string, options?: RequestOptions) {
    return this.getJson<'/api/v1/fx/conversions/{id}'>(`/fx/conversions/${id(conversionId)}`, undefined, options);
  }
  list(params: ListParams<'/api/v1/fx/conversions'> = {}, options?: RequestOptions) {
    return this.listOf<'/api/v1/fx/conversions'>('/fx/conversions', params, options);
  }
}

export class Fx extends Resource {
  readonly quotes: FxQuotes;
  readonly conversions: FxConversions;
  constructor(transport: Transport) {
    super(transport);
    this.quotes = new FxQuotes(transport);
    this.conversions = new FxConversions(transport);
  }
  /** GET /fx/rates: the indicative rate of a pair. */
  rates(query: QueryParams<'/api/v1/fx/rates'>, options?: RequestOptions) {
    return this.getJson<'/api/v1/fx/rates'>('/fx/rates', query, options);
  }
}

export class Events extends Resource {
  /** GET /events: newest first; filter by type. */
  list(params: ListParams<'/api/v1/events'> = {}, options?: RequestOptions) {
    return this.listOf<'/api/v1/events'>('/events', params, options);
  }
  get(eventId: string, options?: RequestOptions) {
    return this.getJson<'/api/v1/events/{id}'>(`/events/${id(eventId)}`, undefined, options);
  }
  /** POST /events/{id}/redeliver: to one endpoint, or to every subscribed one. */
  redeliver(eventId: string, body: BodyOr<RequestBody<'/api/v1/events/{id}/redeliver', 'post'>, { endpoint_id?: string }> = {}, options?: RequestOptions) {
    return this.postJson<'/api/v1/events/{id}/redeliver'>(`/events/${id(eventId)}/redeliver`, body, options);
  }
}

export class Webhooks extends Resource {
  /** The event log (the same as pik.events). */
  readonly events: Events;
  constructor(transport: Transport) {
    super(transport);
    this.events = new Events(transport);
  }
  /** POST /webhooks: the answer carries the signing secret, shown this once. */
  create(body: RequestBody<'/api/v1/webhooks', 'post'>, options?: RequestOptions) {
    return this.postJson<'/api/v1/webhooks'>('/webhooks', body, options);
  }
  get(endpointId: string, options?: RequestOptions) {
    return this.getJson<'/api/v1/webhooks/{id}'>(`/webhooks/${id(endpointId)}`, undefined, options);
  }
  list(params: ListParams<'/api/v1/webhooks'> = {}, options?: RequestOptions) {
    return this.listOf<'/api/v1/webhooks'>('/webhooks', params, options);
  }
  /** PATCH /webhooks/{id}: url, events, description, status, metadata (merged). */
  update(endpointId: string, body: RequestBody<'/api/v1/webhooks/{id}', 'patch'>, options?: RequestOptions) {
    return this.patchJson<'/api/v1/webhooks/{id}'>(`/webhooks/${id(endpointId)}`, body, options);
  }
  delete(endpointId: string, options?: RequestOptions) {
    return this.deleteJson<'/api/v1/webhooks/{id}'>(`/webhooks/${id(endpointId)}`, options);
  }
  /** POST /webhooks/{id}/rotate-secret: a new secret; the old one keeps signing for expires_in_seconds. */
  rotateSecret(endpointId: string, body: BodyOr<RequestBody<'/api/v1/webhooks/{id}/rotate-secret', 'post'>, { expires_in_seconds?: number }> = {}, options?: RequestOptions) {
    return this.postJson<'/api/v1/webhooks/{id}/rotate-secret'>(`/webhooks/${id(endpointId)}/rotate-secret`, body, options);
  }
  /** POST /webhooks/{id}/test: a webhook.test event to this endpoint only. */
  test(endpointId: string, options?: RequestOptions) {
    return this.postJson<'/api/v1/webhooks/{id}/test'>(`/webhooks/${id(endpointId)}/test`, undefined, options);
  }
  /** GET /webhooks/{id}/deliveries */
  deliveries(endpointId: string, params: ListParams<'/api/v1/webhooks/{id}/deliveries'> = {}, options?: RequestOptions) {
    return this.listOf<'/api/v1/webhooks/{id}/deliveries'>(`/webhooks/${id(endpointId)}/deliveries`, params, options);
  }
  /**
   * Checks a delivery's Standard Webhooks signature with the endpoint's secret and returns its event, typed by `type`;
   * throws WebhookVerificationError when it does not verify. Pass the raw body, not parsed JSON.
   */
  verify(rawBody: string | Uint8Array, headers: WebhookHeaders, secret: string, options?: VerifyOptions): Promise<WebhookEvent> {
    return verifyWebhook(rawBody, headers, secret, options);
  }
}

export class PaymentLinks extends Resource {
  create(body: RequestBody<'/api/v1/payment-links', 'post'>, options?: RequestOptions) {
    return this.postJson<'/api/v1/payment-links'>('/payment-links', body, options);
  }
  get(linkId: string, options?: RequestOptions) {
    return this.getJson<'/api/v1/payment-links/{id}'>(`/payment-links/${id(linkId)}`, undefined, options);
  }
  list(params: ListParams<'/api/v1/payment-links'> = {}, options?: RequestOptions) {
    return this.listOf<'/api/v1/payment-links'>('/payment-links', params, options);
  }
  /** DELETE /payment-links/{id}: cancel an active link. */
  cancel(linkId: string, options?: RequestOptions) {
    return this.deleteJson<'/api/v1/payment-links/{id}'>(`/payment-links/${id(linkId)}`, options);
  }
}

export class Payments extends Resource {
  list(params: ListParams<'/api/v1/payments'> = {}, options?: RequestOptions) {
    return this.listOf<'/api/v1/payments'>('/payments', params, options);
  }
  get(paymentId: string, options?: RequestOptions) {
    return this.getJson<'/api/v1/payments/{id}'>(`/payments/${id(paymentId)}`, undefined, options);
  }
  /** POST /payments/{id}/accept-partial: settle an underpaid payment for what arrived. */
  acceptPartial(paymentId: string, options?: RequestOptions) {
    return this.postJson<'/api/v1/payments/{id}/accept-partial'>(`/payments/${id(paymentId)}/accept-partial`, undefined, options);
  }
}

/** Sandbox helpers (a production key gets 403 SANDBOX_ONLY). */
export class Sandbox extends Resource {
  /** POST /sandbox/accounts/{id}/verification: decide a verification (approved, rejected, action_required). */
  decideVerification(accountId: string, body: RequestBody<'/api/v1/sandbox/accounts/{id}/verification', 'post'>, options?: RequestOptions) {
    return this.postJson<'/api/v1/sandbox/accounts/{id}/verification'>(`/sandbox/accounts/${id(accountId)}/verification`, body, options);
  }
  /** POST /sandbox/deposits: an inbound bank transfer or crypto deposit to the account in scope. */
  deposit(body: RequestBody<'/api/v1/sandbox/deposits', 'post'>, options?: RequestOptions) {
    return this.postJson<'/api/v1/sandbox/deposits'>('/sandbox/deposits', body, options);
  }
  /** POST /sandbox/payouts/{id}/simulate: completed, or failed with failure_reason. */
  simulatePayout(payoutId: string, body: RequestBody<'/api/v1/sandbox/payouts/{id}/simulate', 'post'>, options?: RequestOptions) {
    return this.postJson<'/api/v1/sandbox/payouts/{id}/simulate'>(`/sandbox/payouts/${id(payoutId)}/simulate`, body, options);
  }
  /** POST /sandbox/payments/{id}/simulate */
  simulatePayment(paymentId: string, body: RequestBody<'/api/v1/sandbox/payments/{id}/simulate', 'post'>, options?: RequestOptions) {
    return this.postJson<'/api/v1/sandbox/payments/{id}/simulate'>(`/sandbox/payments/${id(paymentId)}/simulate`, body, options);
  }
  /** POST /sandbox/payment-links/{id}/pay: a payer paying the link. */
  payPaymentLink(linkId: string, body: BodyOr<RequestBody<'/api/v1/sandbox/payment-links/{id}/pay', 'post'>, { amount?: string; currency?: string; sender_name?: string }> = {}, options?: RequestOptions) {
    return this.postJson<'/api/v1/sandbox/payment-links/{id}/pay'>(`/sandbox/payment-links/${id(linkId)}/pay`, body, options);
  }
}
