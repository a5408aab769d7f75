// The port, taken before anything slow at start: a port already in use is reported at once (not after the database has
// opened), and a request that arrives while the server is still starting is answered 503 SERVICE_UNAVAILABLE with
// Retry-After instead of being refused. Just before the real server listens, the placeholder lets go of the port.
import http from 'node:http';
import { ApiError } from '../lib/errors.ts';
import { newId } from '../lib/ids.ts';

/** A port the server cannot listen on, said in words that name the variable to change. */
export class PortUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PortUnavailableError';
  }
}

/** The operating system's refusal to listen, in words; anything else is returned unchanged. */
export function explainListenError(error: unknown, host: string, port: number): unknown {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EADDRINUSE') {
    return new PortUnavailableError(
      `Port ${port} on ${host} is already in use (another PIK server, or another program). Stop it, or start PIK on another port: ` +
        `PORT=${port + 1} npm start (a second PIK server on the embedded database also needs a data directory of its own: PIK_DATA_DIR=.pik-2)`,
    );
  }
  if (code === 'EACCES') return new PortUnavailableError(`Not allowed to listen on port ${port}: ports below 1024 need privileges. Choose another with PORT (e.g. PORT=4000).`);
  if (code === 'EADDRNOTAVAIL') return new PortUnavailableError(`HOST ${host} is not an address of this machine; set HOST to one that is (e.g. HOST=127.0.0.1).`);
  return error;
}

export interface PortReservation {
  /** Stops answering and frees the port, for the real server to take it. */
  release(): Promise<void>;
}

/** Listens on host:port at once, answering 503 until released; rejects with PortUnavailableError if it cannot. */
export function reservePort(host: string, port: number): Promise<PortReservation> {
  const unavailable = new ApiError('SERVICE_UNAVAILABLE', 'PIK is starting; retry in a second.');
  const placeholder = http.createServer((request, response) => {
    const requestId = newId('request');
    response.writeHead(503, { 'content-type': 'application/json; charset=utf-8', 'retry-after': '1', 'x-request-id': requestId, connection: 'close' });
    response.end(JSON.stringify({ error: { code: unavailable.code, message: unavailable.message, request_id: requestId } }));
    request.resume();
  });
  return new Promise((resolve, reject) => {
    placeholder.once('error', (error) => reject(explainListenError(error, host, port)));
    placeholder.listen({ port, host }, () =>
      resolve({
        release: () =>
          new Promise((done) => {
            placeholder.close(() => done());
            placeholder.closeAllConnections();
          }),
      }),
    );
  });
}
