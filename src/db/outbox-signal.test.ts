// The outbox's wake-up: this process's listeners at once, other processes by NOTIFY — at most one in flight and one
// queued per environment, whatever the commit rate, and a failed NOTIFY never reaches the committed request.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Environment } from '../lib/environments.ts';
import { OutboxSignal } from './outbox-signal.ts';

describe('OutboxSignal', () => {
  it('wakes local listeners on every commit and coalesces the NOTIFYs of a burst into one in flight plus one more', async () => {
    const sent: Environment[] = [];
    const pending: (() => void)[] = [];
    const signal = new OutboxSignal((environment) => {
      sent.push(environment);
      return new Promise<void>((resolve) => pending.push(resolve));
    });
    const woken: Environment[] = [];
    signal.subscribe((environment) => woken.push(environment));
    for (let i = 0; i < 100; i++) signal.recorded('sandbox');
    signal.recorded('production');
    assert.equal(woken.length, 101, 'this process hears of every commit at once');
    assert.deepEqual(sent, ['sandbox', 'production'], 'one NOTIFY in flight per environment');
    pending.shift()?.();
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(sent, ['sandbox', 'production', 'sandbox'], 'the 99 commits behind the first cost one more NOTIFY');
    pending.splice(0).forEach((resolve) => resolve());
    await new Promise((r) => setImmediate(r));
    assert.equal(sent.length, 3, 'and then nothing until the next commit');
  });

  it('a NOTIFY that fails is dropped (the other processes poll), and the next commit sends again', async () => {
    let calls = 0;
    const signal = new OutboxSignal(async () => {
      calls++;
      throw new Error('connection lost');
    });
    signal.recorded('sandbox');
    await new Promise((r) => setImmediate(r));
    signal.recorded('sandbox');
    await new Promise((r) => setImmediate(r));
    assert.equal(calls, 2);
  });

  it('with one process (PGlite) there is nobody to notify: listeners only', () => {
    const signal = new OutboxSignal();
    let woken = 0;
    const unsubscribe = signal.subscribe(() => woken++);
    signal.recorded('sandbox');
    unsubscribe();
    signal.recorded('sandbox');
    assert.equal(woken, 1);
  });
});
