// Request and response types, read from the generated OpenAPI types (src/generated/openapi.ts) by path and method, so
// the SDK's signatures follow the document: a field added to a route appears here when the types are regenerated.
import type { paths } from './generated/openapi.js';

export type { paths, webhooks, components } from './generated/openapi.js';

export type ApiPath = keyof paths;
type Method = 'get' | 'post' | 'patch' | 'delete';
type Operation<P extends ApiPath, M extends Method> = NonNullable<paths[P][M & keyof paths[P]]>;
type Json<T> = T extends { content: { 'application/json': infer B } } ? B : never;

/** The JSON body a route takes. */
export type RequestBody<P extends ApiPath, M extends Method> = Operation<P, M> extends { requestBody?: infer R } ? Json<NonNullable<R>> : never;

/** The JSON body of a route's success (200, 201 or 202). */
export type ResponseBody<P extends ApiPath, M extends Method> =
  Operation<P, M> extends { responses: infer R }
    ? R extends { 200: infer S }
      ? Json<S>
      : R extends { 201: infer S }
        ? Json<S>
        : R extends { 202: infer S }
          ? Json<S>
          : never
    : never;

/**
 * A route that takes an optional body the document does not describe yet gets its fields written here; once the
 * document describes them (and the types are regenerated), the document's type wins.
 */
export type BodyOr<B, Fallback> = [B] extends [never] ? Fallback : B;

type QueryOf<P extends ApiPath, M extends Method> = Operation<P, M> extends { parameters: { query?: infer Q } } ? NonNullable<Q> : never;

/** A list's filters and page size; every one optional (the server defaults limit to 20). */
export type ListParams<P extends ApiPath> = Partial<Omit<QueryOf<P, 'get'>, 'cursor'>> & { cursor?: string };
export type QueryParams<P extends ApiPath> = Partial<QueryOf<P, 'get'>>;

/** The item type of a list route. */
export type ListItem<P extends ApiPath> = ResponseBody<P, 'get'> extends { data: (infer I)[] } ? I : never;

// The API's objects, by name.
export type Account = ResponseBody<'/api/v1/accounts/{id}', 'get'>;
export type CreatedAccount = ResponseBody<'/api/v1/accounts', 'post'>;
export type Verification = ResponseBody<'/api/v1/accounts/{id}/verification', 'get'>;
export type CapabilityList = ResponseBody<'/api/v1/accounts/{id}/capabilities', 'get'>;
export type Balances = ResponseBody<'/api/v1/accounts/{id}/wallet/balances', 'get'>;
export type Transaction = ListItem<'/api/v1/accounts/{id}/transactions'>;
export type Transfer = ResponseBody<'/api/v1/transfers/{id}', 'get'>;
export type Payout = ResponseBody<'/api/v1/payouts/{id}', 'get'>;
export type FxRate = ResponseBody<'/api/v1/fx/rates', 'get'>;
export type FxQuote = ResponseBody<'/api/v1/fx/quotes/{id}', 'get'>;
export type FxConversion = ResponseBody<'/api/v1/fx/conversions/{id}', 'get'>;
export type WebhookEndpoint = ResponseBody<'/api/v1/webhooks/{id}', 'get'>;
export type WebhookEndpointWithSecret = ResponseBody<'/api/v1/webhooks', 'post'>;
export type WebhookDelivery = ListItem<'/api/v1/webhooks/{id}/deliveries'>;
export type Event = ResponseBody<'/api/v1/events/{id}', 'get'>;
export type PaymentLink = ResponseBody<'/api/v1/payment-links/{id}', 'get'>;
export type Payment = ResponseBody<'/api/v1/payments/{id}', 'get'>;
export type Capability = NonNullable<CapabilityList['data'][number]['name']>;
