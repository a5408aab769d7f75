// The single exit for errors: every failure — ours, Fastify's, validation — leaves in the spec's error shape.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { databaseUnavailable } from '../db/errors.ts';
import { ApiError, type ErrorCode, errorDocUrl } from '../lib/errors.ts';

export interface ErrorBody {
  error: { code: ErrorCode; message: string; detail?: Record<string, unknown>; request_id: string; doc_url: string };
}

declare module 'fastify' {
  interface FastifyReply {
    /** The error code sent, for the request log. */
    errorCode?: string;
  }
}

/** The error shape, for sendError and for the few answers written below Fastify (src/http/framework-errors.ts). */
export function errorBody(error: ApiError, requestId: string): ErrorBody {
  const body: ErrorBody = { error: { code: error.code, message: error.message, request_id: requestId, doc_url: errorDocUrl(error.code) } };
  if (error.detail) body.error.detail = error.detail;
  return body;
}

export function sendError(request: FastifyRequest, reply: FastifyReply, error: ApiError): FastifyReply {
  reply.errorCode = error.code;
  const body = errorBody(error, String(request.id));
  if (error.status === 401) reply.header('www-authenticate', 'Bearer realm="pik"');
  if (error.retryAfterSeconds !== undefined) reply.header('retry-after', String(error.retryAfterSeconds));
  return reply.code(error.status).type('application/json; charset=utf-8').send(body);
}

interface AjvIssue {
  instancePath?: string;
  keyword?: string;
  message?: string;
  params?: { missingProperty?: string; additionalProperty?: string; allowedValues?: unknown[]; allowedValue?: unknown };
}

/** Turns a schema failure into INVALID_REQUEST naming the field, in the API's snake_case path form ("address.city"). */
function fromValidation(issues: AjvIssue[], context: string | undefined): ApiError {
  const issue = issues[0] ?? {};
  const base = (issue.instancePath ?? '').split('/').filter(Boolean).join('.');
  const join = (name: string): string => (base ? `${base}.${name}` : name);
  const where = context === 'querystring' ? 'query parameter' : context === 'params' ? 'path parameter' : context === 'headers' ? 'header' : 'field';
  if (issue.keyword === 'required' && issue.params?.missingProperty) {
    const field = join(issue.params.missingProperty);
    return new ApiError('INVALID_REQUEST', `The ${where} "${field}" is required.`, { field });
  }
  if (issue.keyword === 'additionalProperties' && issue.params?.additionalProperty) {
    const field = join(issue.params.additionalProperty);
    return new ApiError('INVALID_REQUEST', `Unknown ${where} "${field}".`, { field });
  }
  const field = base || (context === 'body' ? 'body' : context ?? 'request');
  // A choice between literals fails as one "const" issue per branch: gather them into the list of allowed values.
  const constants = issues.filter((i) => i.keyword === 'const' && i.instancePath === issue.instancePath).map((i) => i.params?.allowedValue);
  const allowedValues = issue.params?.allowedValues ?? (constants.length > 0 ? constants : undefined);
  if (allowedValues) {
    return new ApiError('INVALID_REQUEST', `The ${where} "${field}" must be one of ${allowedValues.map((v) => JSON.stringify(v)).join(', ')}.`, {
      field,
      allowed_values: allowedValues,
    });
  }
  return new ApiError('INVALID_REQUEST', `The ${where} "${field}" ${issue.message ?? 'is not valid'}.`, { field });
}

const fastifyCodes: Partial<Record<string, ErrorCode>> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_BODY_TOO_LARGE: 'BODY_TOO_LARGE',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'INVALID_JSON',
  FST_ERR_CTP_INVALID_JSON_BODY: 'INVALID_JSON',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'INVALID_REQUEST',
};

export function toApiError(error: unknown): ApiError | undefined {
  if (error instanceof ApiError) return error;
  const unavailable = databaseUnavailable(error);
  if (unavailable) return unavailable;
  const e = error as FastifyError & { validationContext?: string; type?: string };
  if (Array.isArray(e.validation)) return fromValidation(e.validation as AjvIssue[], e.validationContext);
  const mapped = e.code ? fastifyCodes[e.code] : undefined;
  if (mapped) return new ApiError(mapped);
  // JSON.parse failures surface as SyntaxError with a 400 status from the content-type parser.
  if (e instanceof SyntaxError || e.type === 'entity.parse.failed') return new ApiError('INVALID_JSON');
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    const status = e.statusCode;
    if (status === 413) return new ApiError('BODY_TOO_LARGE');
    if (status === 415) return new ApiError('UNSUPPORTED_MEDIA_TYPE');
    if (status === 400) return new ApiError('INVALID_REQUEST', 'The request is not valid.');
  }
  return undefined;
}

function describeCause(error: unknown): string {
  const e = error as { code?: unknown; message?: unknown } | null;
  return [typeof e?.code === 'string' ? e.code : undefined, typeof e?.message === 'string' ? e.message : undefined].filter(Boolean).join(' ');
}

export function registerErrorHandling(app: FastifyInstance, allowedMethods: (url: string) => string[]): void {
  app.setErrorHandler((error, request, reply) => {
    const apiError = toApiError(error);
    if (apiError) {
      // A 503 for want of a current FX rate is the operator's to fix (set the rate), not a failure of ours.
      if (apiError.code === 'RATES_UNAVAILABLE') request.log.warn({ code: apiError.code, detail: apiError.detail }, 'no current FX rate');
      // An outage is logged by its cause, not by a stack per request: during one, every request fails the same way.
      else if (apiError.code === 'SERVICE_UNAVAILABLE') request.log.warn({ code: apiError.code, cause: describeCause(error) }, 'database unavailable');
      else if (apiError.status >= 500) request.log.error({ err: error }, 'request failed');
      return sendError(request, reply, apiError);
    }
    // Ours to fix: log everything, show nothing of it.
    request.log.error({ err: error }, 'unhandled error');
    return sendError(request, reply, new ApiError('INTERNAL_ERROR'));
  });

  app.setNotFoundHandler(notFoundHandler(allowedMethods));
}

/**
 * The answer when no route takes the request: 405 with Allow for a known path and another method, else 404. The
 * protected prefixes (/api/v1, /admin/v1) set it as their own not-found handler behind their credential check, so
 * neither answer is given before the caller has authenticated.
 */
export function notFoundHandler(allowedMethods: (url: string) => string[]): (request: FastifyRequest, reply: FastifyReply) => FastifyReply {
  return (request, reply) => {
    const methods = allowedMethods(request.url);
    if (methods.length > 0) {
      reply.header('allow', methods.join(', '));
      return sendError(request, reply, new ApiError('METHOD_NOT_ALLOWED', `Use ${methods.join(' or ')} on this endpoint.`, { allowed_methods: methods }));
    }
    return sendError(request, reply, new ApiError('ROUTE_NOT_FOUND', `No endpoint ${request.method} ${request.url.split('?')[0]}.`));
  };
}
