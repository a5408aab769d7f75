// Shared request/response schemas for the API's conventions: ids, paging, errors.
import Type from 'typebox';
import { environments } from '../lib/environments.ts';
import { metadataLimits } from '../lib/metadata.ts';
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

/**
 * The one list envelope of both APIs: `{object: "list", data, has_more, next_cursor}`. `extra` keeps fields a list
 * answered with before the envelope was uniform (a client may read them); a list that is not paged is always one page.
 */
export function listOf<T extends Type.TSchema, P extends Type.TProperties = Record<never, never>>(item: T, extra?: P) {
  return Type.Object({
    ...(extra ?? ({} as P)),
    object: stringEnum(['list'], { description: 'Always "list".' }),
    data: Type.Array(item),
    has_more: Type.Boolean({ description: 'true when another page follows: pass next_cursor as cursor to read it.' }),
    next_cursor: nullable(Type.String({ description: 'The cursor of the next page; null on the last page.' })),
  });
}

/** A list answer in the envelope of listOf: one page, or (without a cursor) the whole list. */
export function listBody<T>(data: T[], nextCursor: string | null = null, hasMore = nextCursor !== null) {
  return { object: 'list' as const, data, has_more: hasMore, next_cursor: nextCursor };
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

const metadataRules = `Up to ${metadataLimits.maxKeys} keys of 1 to ${metadataLimits.maxKeyLength} characters, values strings of at most ${metadataLimits.maxValueLength} characters (Unicode code points).`;

/** metadata in a create request: the shape here, key rules in the domain (src/lib/metadata.ts), whose 400 names the key. */
export const MetadataInput = Type.Optional(
  Type.Unsafe<Record<string, string> | null>({
    type: ['object', 'null'],
    additionalProperties: { type: 'string', maxLength: metadataLimits.maxValueLength },
    maxProperties: metadataLimits.maxKeys,
    description: `Your own key–value strings, returned on every read. ${metadataRules}`,
    examples: [{ order_id: '6735' }],
  }),
);

/** metadata in an update: merged into what is stored; a key set to null is removed, metadata: null removes every key. */
export const MetadataUpdate = Type.Optional(
  Type.Unsafe<Record<string, string | null> | null>({
    type: ['object', 'null'],
    additionalProperties: { type: ['string', 'null'], maxLength: metadataLimits.maxValueLength },
    description: `Merged into the stored metadata: a key with a string sets it, a key with null removes it, keys not named stay; null removes every key. ${metadataRules}`,
    examples: [{ order_id: '6735', old_key: null }],
  }),
);

/** metadata in a response: always an object ({} when none was given). */
export const MetadataSchema = Type.Record(Type.String(), Type.String(), { description: 'Your own key–value strings ({} when none).' });
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
