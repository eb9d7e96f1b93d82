import { describe, expect, it } from 'vitest';
import { Limiter } from './limiter.js';

const deferred = (): { promise: Promise<void>; resolve: () => void } => {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
};

describe('Limiter', () => {
  it('runs at most N at once and starts waiters in arrival order', async () => {
    const limiter = new Limiter(2);
    const gates = [deferred(), deferred(), deferred()];
    const started: number[] = [];
    const runs = gates.map((gate, i) =>
      limiter.run(new AbortController().signal, async () => {
        started.push(i);
        await gate.promise;
      }),
    );
    await Promise.resolve();
    expect(started).toEqual([0, 1]);
    expect(limiter.waiting).toBe(1);
    gates[1]!.resolve();
    await runs[1];
    await Promise.resolve();
    expect(started).toEqual([0, 1, 2]);
    gates[0]!.resolve();
    gates[2]!.resolve();
    await Promise.all(runs);
    expect(limiter.active).toBe(0);
  });

  it('drops a waiter whose signal aborts, with the signal reason', async () => {
    const limiter = new Limiter(1);
    const gate = deferred();
    const first = limiter.run(new AbortController().signal, () => gate.promise);
    const controller = new AbortController();
    const second = limiter.run(controller.signal, async () => 'ran');
    controller.abort(new Error('deadline passed'));
    await expect(second).rejects.toThrow('deadline passed');
    expect(limiter.waiting).toBe(0);
    gate.resolve();
    await first;
    expect(limiter.active).toBe(0);
  });
});
