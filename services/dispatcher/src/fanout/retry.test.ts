import { AssignmentLostError } from '@sunsu/kafka';
import { DEFAULT_RETRY_POLICY, totalBackoffMs, withRetries } from './retry.ts';

const noSleep = async () => undefined;
const batch = (overrides: { isStale?: () => boolean; heartbeat?: () => Promise<void> } = {}) => ({
  isStale: overrides.isStale ?? (() => false),
  heartbeat: overrides.heartbeat ?? (async () => undefined),
});

describe('withRetries', () => {
  const policy = { maxAttempts: 4, baseDelayMs: 10, maxDelayMs: 50 };

  it('gives up after maxAttempts with the last error, waiting between attempts only', async () => {
    let calls = 0;
    const waits: number[] = [];
    const result = await withRetries(batch(), policy, async () => {
      calls++;
      throw new Error(`failure ${calls}`);
    }, (_err, _attempt, delay) => waits.push(delay), noSleep);
    expect(result).toEqual({ outcome: 'gave-up', attempts: 4, error: new Error('failure 4') });
    expect(calls).toBe(4);
    expect(waits).toEqual([20, 40, 50]);
  });

  it('returns the value of the first attempt that succeeds', async () => {
    let calls = 0;
    const result = await withRetries(batch(), policy, async () => {
      if (++calls < 3) throw new Error('transient');
      return 'ok';
    }, () => undefined, noSleep);
    expect(result).toEqual({ outcome: 'done', value: 'ok' });
    expect(calls).toBe(3);
  });

  it('stops without another attempt when the batch went stale or the assignment was lost', async () => {
    let stale = false;
    let calls = 0;
    const failing = async () => {
      calls++;
      stale = true;
      throw new Error('x');
    };
    expect(await withRetries(batch({ isStale: () => stale }), policy, failing, () => undefined, noSleep)).toEqual({ outcome: 'stale' });
    expect(calls).toBe(1);
    const lost = batch({ heartbeat: async () => Promise.reject(new AssignmentLostError('gone')) });
    expect(await withRetries(lost, policy, async () => Promise.reject(new Error('x')), () => undefined, noSleep)).toEqual({ outcome: 'stale' });
  });

  it('by default parks a failing batch within a few seconds, well under a session timeout', () => {
    expect(DEFAULT_RETRY_POLICY.maxAttempts).toBe(8);
    expect(totalBackoffMs(DEFAULT_RETRY_POLICY)).toBe(5080);
    expect(DEFAULT_RETRY_POLICY.maxDelayMs).toBeLessThan(6000); // the smallest session timeout the config allows
  });
});
