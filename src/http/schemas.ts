// Shared request/response schemas for the API's conventions: ids, paging, errors.
import Type from 'typebox';
import { environments } from '../lib/environments.ts';
import { errorCodes } from '../lib/errors.ts';

const pagingProperties = {
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 20, description: 'Page size, 1–100.' }),
  cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'next_cursor from the previous page.' })),
};

/** A list endpoint's query: paging plus the endpoint's own filters; unknown parameters are refused, not ignored. */
export function listQuery<P extends Type.TProperties>(filters: P) {
  return Type.Object({ ...pagingProperties, ...filters }, { additionalProperties: false });
}

/** An environment named in an operator request (a choice of literals, so a wrong one is told the allowed values). */
export const EnvironmentSchema = Type.Union(environments.map((e) => Type.Literal(e)));

// Any string: an id that is malformed is simply one that does not exist (404), as for any unknown id.
export const AccountIdParams = Type.Object({ id: Type.String({ maxLength: 100, description: 'An account id, acct_…' }) });

/** The codes of the error catalogue (src/lib/errors.ts), as the documents' `ErrorCode` schema. */
export const ErrorCodeSchema = stringEnum(errorCodes, {
  $id: 'ErrorCode',
  description: 'A stable code from the error catalogue; docs/errors.md (and /docs/errors) says what each means and what to do.',
});

export const ErrorResponse = Type.Object(
  {
    error: Type.Object(
      {
        code: Type.Ref('ErrorCode'),
        message: Type.String({ description: 'For a developer to read; may change. Branch on `code`.' }),
        detail: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'Facts about this failure; `field` names the input at fault.' })),
        request_id: Type.String({ pattern: '^req_', description: 'Also in the x-request-id header; quote it when asking for help.' }),
        doc_url: Type.String({ pattern: '^/docs/errors#[a-z_]+$', description: "The code's entry in the error reference, relative to the server." }),
      },
      { additionalProperties: false },
    ),
  },
  {
    $id: 'ErrorResponse',
    additionalProperties: false,
    description: 'Every error has this shape, with a stable code.',
    examples: [
      {
        error: {
          code: 'INVALID_REQUEST',
          message: 'The field "email" is required.',
          detail: { field: 'email' },
          request_id: 'req_01JD8Q3V0G6Y1K2M3N4P5Q6R7S',
          doc_url: '/docs/errors#invalid_request',
        },
      },
    ],
  },
);

/** Error responses documented on every /api/v1 route. */
export const errorResponses = {
  400: Type.Ref('ErrorResponse'),
  401: Type.Ref('ErrorResponse'),
  403: Type.Ref('ErrorResponse'),
  404: Type.Ref('ErrorResponse'),
};

export const bearerSecurity = [{ apiKey: [] }];
export const operatorSecurity = [{ operatorToken: [] }];

export function listOf<T extends Type.TSchema>(item: T) {
  return Type.Object({ data: Type.Array(item), next_cursor: nullable(Type.String()) });
}

// Response schemas avoid anyOf: fast-json-stringify must run a validator per anyOf to pick a branch, while a
// type list or an enum serializes directly. These two helpers keep the TypeScript types exact.

export function stringEnum<const T extends readonly string[]>(values: T, options: Record<string, unknown> = {}) {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });
}

export function nullable<T extends Type.TSchema>(schema: T) {
  const base = schema as unknown as { type?: string; enum?: unknown[] };
  // Without a single `type` (a union, a $ref) there is no type list to extend; anyOf is the honest form then.
  if (typeof base.type !== 'string') return Type.Unsafe<Type.Static<T> | null>(Type.Union([schema, Type.Null()]));
  return Type.Unsafe<Type.Static<T> | null>({
    ...schema,
    type: [base.type, 'null'],
    ...(base.enum ? { enum: [...base.enum, null] } : {}),
  });
}

/**
 * Marks a request field whose values the domain checks itself, so that a wrong value gets the domain's own error
 * (UNSUPPORTED_CURRENCY with the supported list, UNKNOWN_CAPABILITY with the known ones) instead of a generic
 * validation 400. Validation ignores the marker; the OpenAPI document (openapi.ts) shows it as `enum`.
 */
export const domainEnumKey = 'x-pik-domain-enum';

/** Any value passes validation; the OpenAPI document lists `values` (see domainEnumKey). */
export function domainChecked(values: readonly string[], options: { description?: string } = {}) {
  return Type.Unknown({ ...options, [domainEnumKey]: [...values] });
}

/** Like domainChecked, for a string field (query and path parameters arrive as text). */
export function domainCheckedString(values: readonly string[], options: { description?: string; maxLength?: number } = {}) {
  return Type.String({ ...options, [domainEnumKey]: [...values] });
}

/** Also documented on routes that move money: state conflicts and business rules. */
export const moneyErrorResponses = {
  409: Type.Ref('ErrorResponse'),
  422: Type.Ref('ErrorResponse'),
};

/**
 * Rules the domain enforces itself, after normalising the input (trimming, upper-casing) and with its own error codes
 * (INVALID_AMOUNT, UNKNOWN_CAPABILITY, an INVALID_REQUEST naming the field): published in the documents as schema
 * keywords, so a client that follows the document is never refused, while validation leaves them to the domain. The
 * marker is merged into the schema by the documents' last pass (finishDocument in openapi.ts).
 */
export const publishedRulesKey = 'x-pik-published';

/** Spread into a schema's options: `Type.String({ maxLength: 2, ...published({ pattern: '^[A-Z]{2}$' }) })`. */
export function published(rules: Record<string, unknown>): Record<string, unknown> {
  return { [publishedRulesKey]: rules };
}

/** A decimal amount: a string, never a number, with at most the currency's decimals (src/lib/money.ts decides). */
export const amountPattern = '^(0|[1-9][0-9]*)(\\.[0-9]+)?$';

/** An amount field of a request: any value reaches the domain, which answers INVALID_AMOUNT; the document says string. */
export function amountField(description: string, example = '100.00') {
  return Type.Unknown({ description, ...published({ type: 'string', pattern: amountPattern, examples: [example] }) });
}

/** An amount in a response: always a decimal string. */
export const AmountString = Type.String({ pattern: amountPattern, description: 'Decimal string in the currency precision, e.g. "500.00".', examples: ['500.00'] });

/** ISO 3166-1 alpha-2, as the domain accepts it (it upper-cases first). */
export const countryRules = published({ pattern: '^[A-Z]{2}$', examples: ['AU'] });

/** A movement reference (src/domain/ledger/references.ts). */
export const referenceRules = published({ minLength: 1, pattern: '^[\\x20-\\x7E]+$', examples: ['INV-2026-0042'] });

/** A name or text that must not be blank (the domain trims it). */
export const nonBlankRules = (example: string) => published({ minLength: 1, pattern: '\\S', examples: [example] });
