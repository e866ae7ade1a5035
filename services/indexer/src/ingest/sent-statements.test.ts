import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { SentStatements } from './sent-statements.js';

describe('SentStatements', () => {
  it('reports the first statement sent that failed, once every statement has settled', async () => {
    const sent = new SentStatements();
    let lastSettled = false;
    sent.add(Promise.resolve('ok'));
    // The cause fails after a later statement has already failed (as "transaction aborted").
    sent.add(sleep(20).then(() => Promise.reject(new Error('duplicate key'))));
    sent.add(Promise.reject(new Error('current transaction is aborted')));
    sent.add(sleep(40).then(() => (lastSettled = true)));

    const failure = await sent.firstFailure();
    expect((failure as Error).message).toBe('duplicate key');
    expect(lastSettled).toBe(true);
    await expect(sent.settle()).rejects.toThrow('duplicate key');
  });

  it('settles when every statement succeeded, and reports no failure', async () => {
    const sent = new SentStatements();
    const answer = sent.add(sleep(5).then(() => 42));
    sent.add(Promise.resolve());
    await expect(sent.settle()).resolves.toBeUndefined();
    expect(await sent.firstFailure()).toBeUndefined();
    expect(await answer).toBe(42);
  });
});
