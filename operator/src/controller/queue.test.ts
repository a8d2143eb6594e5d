import { WorkQueue } from './queue.ts';

const tick = (ms = 5) => new Promise((r) => setTimeout(r, ms));

describe('WorkQueue', () => {
  it('deduplicates a key that is already waiting', async () => {
    const seen: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    const q = new WorkQueue({ concurrency: 1, worker: async (k) => { seen.push(k); if (k === 'block') await gate; } });
    q.add('block');
    q.add('a'); q.add('a'); q.add('b'); q.add('a');
    expect(q.depth).toBe(2);
    release();
    await tick(20);
    expect(seen).toEqual(['block', 'a', 'b']);
  });

  it('never runs one key twice at once, and runs it again once if it was added while running', async () => {
    let running = 0;
    let maxRunning = 0;
    let runs = 0;
    const q = new WorkQueue({ concurrency: 4, worker: async () => { running++; runs++; maxRunning = Math.max(maxRunning, running); await tick(20); running--; } });
    q.add('k');
    await tick(2);
    q.add('k'); q.add('k'); q.add('k');
    await tick(80);
    expect(maxRunning).toBe(1);
    expect(runs).toBe(2);
  });

  it('runs different keys in parallel up to the concurrency', async () => {
    let running = 0;
    let maxRunning = 0;
    const q = new WorkQueue({ concurrency: 2, worker: async () => { running++; maxRunning = Math.max(maxRunning, running); await tick(15); running--; } });
    for (const k of ['a', 'b', 'c', 'd']) q.add(k);
    await tick(60);
    expect(maxRunning).toBe(2);
  });

  it('retries failures with growing backoff and forgets the count after a success', async () => {
    const delays: number[] = [];
    let calls = 0;
    const q = new WorkQueue({
      baseBackoffMs: 10,
      worker: async () => { calls++; if (calls <= 3) throw new Error('boom'); },
      onError: (_k, _e, retryIn) => delays.push(retryIn),
    });
    q.add('x');
    await tick(150);
    expect(calls).toBe(4);
    expect(delays).toEqual([10, 20, 40]);
  });

  it('honours requeueAfterMs and stops cleanly', async () => {
    let calls = 0;
    const q = new WorkQueue({ worker: async () => { calls++; return calls < 3 ? { requeueAfterMs: 10 } : {}; } });
    q.add('x');
    await tick(80);
    expect(calls).toBe(3);
    await q.shutdown();
    q.add('x');
    await tick(20);
    expect(calls).toBe(3);
  });

  it('keeps the earliest pending retry: a long backoff asked for first does not swallow a sooner look', async () => {
    const runs: number[] = [];
    const started = Date.now();
    const q = new WorkQueue({ worker: async () => void runs.push(Date.now() - started) });
    q.addAfter('k', 60_000); // e.g. a failure backoff
    q.addAfter('k', 20); // then a status poll that is due much sooner
    q.addAfter('k', 30_000); // a later request changes nothing
    await tick(120);
    expect(runs).toHaveLength(1);
    expect(runs[0]).toBeLessThan(100);
    await q.shutdown();
  });
});
