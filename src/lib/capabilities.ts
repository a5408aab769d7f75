// The capability catalogue: the one place to add a capability. The account and capability-list serializers, the
// OpenAPI enums and "needs" notes, the CLI's choices, the dashboard's labels and a new sandbox platform's set derive
// from it. A route enforces one by calling requireCapability (domain/accounts/capability-gate.ts) with its name.

interface CapabilityEntry {
  /** How the dashboard names it. */
  label: string;
  /** What it lets an account do, for documentation. */
  description: string;
  /** The API routes that check it, written as the OpenAPI document writes them ("POST /api/v1/payouts"). */
  routes: readonly string[];
}

export const capabilityCatalogue = {
  inbound_payments: {
    label: 'Inbound payments',
    description: 'Receive money from third parties: receiving details, an AUD virtual account number, deposits, payment links.',
    routes: [
      'GET /api/v1/accounts/{id}/receiving-details',
      'POST /api/v1/accounts/{id}/virtual-account',
      'GET /api/v1/accounts/{id}/virtual-account',
      'DELETE /api/v1/accounts/{id}/virtual-account',
      'POST /api/v1/sandbox/deposits',
      'POST /api/v1/payment-links',
      'POST /api/v1/sandbox/payments/{id}/simulate',
      'POST /api/v1/sandbox/payment-links/{id}/pay',
    ],
  },
  fx_conversion: {
    label: 'FX conversion',
    description: 'Convert money between currencies: rates, quotes and conversions.',
    routes: [
      'GET /api/v1/fx/rates',
      'POST /api/v1/fx/quotes',
      'GET /api/v1/fx/quotes/{id}',
      'POST /api/v1/fx/conversions',
      'GET /api/v1/fx/conversions',
      'GET /api/v1/fx/conversions/{id}',
    ],
  },
  payouts: {
    label: 'Payouts',
    description: 'Pay money out to a bank account or a crypto address.',
    routes: ['POST /api/v1/payouts'],
  },
} as const satisfies Record<string, CapabilityEntry>;

export type Capability = keyof typeof capabilityCatalogue;

/** In the order the API and the dashboard list them. */
export const capabilities = Object.keys(capabilityCatalogue) as readonly Capability[];

export function isCapability(value: string): value is Capability {
  return Object.hasOwn(capabilityCatalogue, value);
}

/** The capabilities a route checks ("POST /api/v1/payouts" → ['payouts']). */
export function capabilitiesOfRoute(route: string): Capability[] {
  return capabilities.filter((c) => (capabilityCatalogue[c].routes as readonly string[]).includes(route));
}
