// @pik/sdk: the TypeScript client of the PIK platform API. Zero runtime dependencies (the global fetch and Web Crypto).
//
//   import { Pik } from '@pik/sdk';
//   const pik = new Pik({ apiKey: process.env.PIK_API_KEY!, baseUrl: 'http://localhost:4000' });
//   const account = await pik.accounts.create({ customer_type: 'individual', email: 'jane@example.com', country: 'AU' });
//   for await (const a of pik.accounts.list({ limit: 50 })) console.log(a.id);
//   const asJane = pik.onBehalfOf(account.id); // x-on-behalf-of: acts for the connected account
import { Transport, type PikOptions } from './core.js';
import { Accounts, Balances, Events, Fx, PaymentLinks, Payments, Payouts, Sandbox, Transfers, Wallets, Webhooks } from './resources.js';

export class Pik {
  readonly accounts: Accounts;
  readonly wallets: Wallets;
  readonly balances: Balances;
  readonly transfers: Transfers;
  readonly payouts: Payouts;
  readonly fx: Fx;
  readonly webhooks: Webhooks;
  readonly events: Events;
  readonly paymentLinks: PaymentLinks;
  readonly payments: Payments;
  readonly sandbox: Sandbox;
  readonly #transport: Transport;

  constructor(options: PikOptions | Transport) {
    const transport = options instanceof Transport ? options : new Transport(options);
    this.#transport = transport;
    this.accounts = new Accounts(transport);
    this.wallets = new Wallets(transport);
    this.balances = new Balances(transport);
    this.transfers = new Transfers(transport);
    this.payouts = new Payouts(transport);
    this.fx = new Fx(transport);
    this.webhooks = new Webhooks(transport);
    this.events = this.webhooks.events;
    this.paymentLinks = new PaymentLinks(transport);
    this.payments = new Payments(transport);
    this.sandbox = new Sandbox(transport);
  }

  /** The connected account this client acts for (x-on-behalf-of), or undefined for the platform. */
  get actingFor(): string | undefined {
    return this.#transport.onBehalfOf;
  }

  /**
   * A client acting for a connected account: every request carries `x-on-behalf-of: accountId`, so it reads and moves
   * that account's money, under its verification and capabilities. The same key, retries and settings.
   */
  onBehalfOf(accountId: string): Pik {
    return new Pik(this.#transport.withOnBehalfOf(accountId));
  }
}

export type { PikOptions, RequestOptions, ResponseInfo } from './core.js';
export {
  PikError,
  InvalidRequestError,
  AuthenticationError,
  PermissionError,
  NotFoundError,
  ConflictError,
  RateLimitError,
  ApiError,
  ConnectionError,
  type PikErrorCode,
  type ErrorCode,
} from './errors.js';
export { errorCodes, errorStatuses } from './generated/error-codes.js';
export { List, type Page, type ListEnvelope } from './pagination.js';
export { verifyWebhook, WebhookVerificationError, type WebhookEvent, type WebhookEventType, type WebhookHeaders, type VerifyOptions } from './webhook-signature.js';
export type * from './types.js';

/** What the SDK knows of a response: `responseOf(await pik.transfers.create(…)).replayed`. */
export function responseOf(value: object): import('./core.js').ResponseInfo | undefined {
  return (value as { lastResponse?: import('./core.js').ResponseInfo }).lastResponse;
}
