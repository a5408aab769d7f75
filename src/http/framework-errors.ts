// Answers for what fails below our handlers — Node's HTTP parser and timeouts, an unsupported Expect, a missing Host,
// a request arriving while the server shuts down — in the API's error shape with an x-request-id, like every other.
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { ApiError } from '../lib/errors.ts';
import { newId } from '../lib/ids.ts';
import { errorBody, sendError } from './errors.ts';

/** What Node's parser reports, as the answer the client gets (Node itself would send these statuses, bodiless). */
function clientErrorAnswer(code: string | undefined): ApiError {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return new ApiError('HEADERS_TOO_LARGE');
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new ApiError('REQUEST_TIMEOUT');
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return new ApiError('BODY_TOO_LARGE', 'The chunk extensions of the request body are too large.');
    default:
      // A malformed request line, header or chunk: the parser's code says which, and holds nothing of the request.
      return new ApiError('INVALID_REQUEST', 'The HTTP request is malformed and could not be read.', { reason: code ?? 'unknown' });
  }
}

function responseText(status: number, requestId: string, json: string): string {
  return (
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n` +
    `content-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(json)}\r\n` +
    `x-request-id: ${requestId}\r\nconnection: close\r\n\r\n${json}`
  );
}

/**
 * Fastify's clientErrorHandler: Node found the bytes on a connection unreadable as HTTP (or too slow to arrive), so
 * no request object exists; the answer is written to the socket directly, and the connection closed (what follows
 * on it cannot be trusted to start a request). The log line never includes the error itself: its rawPacket holds
 * the bytes received, Authorization header included.
 */
export function answerClientError(logger: FastifyBaseLogger, error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return; // the client is gone: nobody to answer
  const answer = clientErrorAnswer(error.code);
  const requestId = newId('request');
  logger.info({ request_id: requestId, status: answer.status, error_code: answer.code, reason: error.code }, 'client error');
  // Only if no answer to a request already started on this connection (bytes of ours would corrupt it), as Node does.
  const inFlight = (socket as Socket & { _httpMessage?: ServerResponse })._httpMessage;
  if (socket.writable && !inFlight?.headersSent) socket.write(responseText(answer.status, requestId, JSON.stringify(errorBody(answer, requestId))));
  socket.destroy();
}

/** Node answers an Expect other than 100-continue with a bodiless 417 unless asked to leave it to us. */
function answerExpectation(logger: FastifyBaseLogger, _request: IncomingMessage, response: ServerResponse): void {
  const answer = new ApiError('EXPECTATION_FAILED');
  const requestId = newId('request');
  logger.info({ request_id: requestId, status: answer.status, error_code: answer.code }, 'request');
  const json = JSON.stringify(errorBody(answer, requestId));
  response.writeHead(answer.status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(json),
    'x-request-id': requestId,
    connection: 'close', // the body the client held back may follow anyway: it must not be read as a request
  });
  response.end(json);
}

/**
 * For the Fastify options: Node's own 400 for an HTTP/1.1 request without Host (bodiless) and Fastify's 503 while
 * closing (its own JSON shape) are turned off, and answered by the hooks registerFrameworkErrors adds instead.
 */
export const frameworkErrorOptions = { http: { requireHostHeader: false }, return503OnClosing: false } as const;

/** Registers the answers Node and Fastify would otherwise give in their own shape; call after registerRequestContext. */
export function registerFrameworkErrors(app: FastifyInstance): void {
  app.server.on('checkExpectation', (request: IncomingMessage, response: ServerResponse) => answerExpectation(app.log, request, response));

  let isClosing = false;
  app.addHook('preClose', (done) => {
    isClosing = true;
    done();
  });

  // Callback-style and synchronous: it runs on every request.
  app.addHook('onRequest', (request, reply, done) => {
    if (isClosing) {
      // A request on a connection still open while the server stops: the client should retry on another instance.
      reply.header('connection', 'close');
      sendError(request, reply, new ApiError('SERVICE_UNAVAILABLE'));
      return;
    }
    if (request.raw.httpVersion === '1.1' && request.headers.host === undefined) {
      reply.header('connection', 'close'); // as Node does: a client this confused should start afresh
      sendError(request, reply, new ApiError('INVALID_REQUEST', 'An HTTP/1.1 request needs a Host header.', { field: 'host' }));
      return;
    }
    done();
  });
}
