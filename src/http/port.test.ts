import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, it } from 'node:test';
import { explainListenError, PortUnavailableError, reservePort } from './port.ts';

describe('the port taken at start', () => {
  it('answers 503 SERVICE_UNAVAILABLE with Retry-After until released, then frees the port', async () => {
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));

    const reservation = await reservePort('127.0.0.1', port);
    const response = await fetch(`http://127.0.0.1:${port}/health`);
    assert.equal(response.status, 503);
    assert.equal(response.headers.get('retry-after'), '1');
    const body = (await response.json()) as { error: { code: string; request_id: string } };
    assert.equal(body.error.code, 'SERVICE_UNAVAILABLE');
    assert.equal(response.headers.get('x-request-id'), body.error.request_id);

    await assert.rejects(reservePort('127.0.0.1', port), (error: unknown) => {
      assert.ok(error instanceof PortUnavailableError);
      assert.match(error.message, new RegExp(`Port ${port} on 127\\.0\\.0\\.1 is already in use.*PORT=${port + 1} npm start`));
      return true;
    });
    await reservation.release();
    const again = await reservePort('127.0.0.1', port);
    await again.release();
  });

  it('says what to change for a privileged port or a HOST that is not this machine, and passes other errors on', () => {
    assert.match(String(explainListenError(Object.assign(new Error('x'), { code: 'EACCES' }), '127.0.0.1', 80)), /port 80.*PORT=4000/);
    assert.match(String(explainListenError(Object.assign(new Error('x'), { code: 'EADDRNOTAVAIL' }), '10.9.9.9', 4000)), /HOST 10\.9\.9\.9/);
    const other = new Error('something else');
    assert.equal(explainListenError(other, '127.0.0.1', 4000), other);
  });
});
