import { AssignmentLostError, type IncomingBatch } from '@sunsu/kafka';

export interface RetryPolicy {
  /** Attempts before giving up on a batch (the first one included). */
  maxAttempts: number;
  /** Delay after the first failure; doubled after each further one. */
  baseDelayMs: number;
  maxDelayMs: number;
}

/**
 * 8 attempts wait 40 + 80 + … + 2,560 ≈ 5.1 s in all, with a heartbeat after each wait: a batch the fan-out
 * cannot deliver is parked within seconds, long before the group's session timeout matters.
 */
export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 8, baseDelayMs: 20, maxDelayMs: 5000 };

/** The wait after failed attempt `attempt` (1-based). */
export const backoffMs = (policy: RetryPolicy, attempt: number): number => Math.min(policy.baseDelayMs * 2 ** attempt, policy.maxDelayMs);

/** Everything spent waiting when every attempt fails. */
export const totalBackoffMs = (policy: RetryPolicy): number =>
  Array.from({ length: policy.maxAttempts - 1 }, (_, i) => backoffMs(policy, i + 1)).reduce((a, b) => a + b, 0);

export type Attempted<T> =
  | { outcome: 'done'; value: T }
  /** The partition is being taken away: leave the batch to its next owner. */
  | { outcome: 'stale' }
  | { outcome: 'gave-up'; attempts: number; error: unknown };

/**
 * Run `work` until it succeeds, the batch goes stale, or `policy.maxAttempts` attempts failed. Between attempts:
 * wait (exponential backoff) and heartbeat, so the member keeps its partitions while it waits.
 */
export async function withRetries<T>(
  batch: Pick<IncomingBatch, 'isStale' | 'heartbeat'>,
  policy: RetryPolicy,
  work: () => Promise<T>,
  onRetry: (err: unknown, attempt: number, delayMs: number) => void,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
): Promise<Attempted<T>> {
  for (let attempt = 1; ; attempt++) {
    if (batch.isStale()) return { outcome: 'stale' };
    try {
      return { outcome: 'done', value: await work() };
    } catch (err) {
      if (attempt >= policy.maxAttempts) return { outcome: 'gave-up', attempts: attempt, error: err };
      const delay = backoffMs(policy, attempt);
      onRetry(err, attempt, delay);
      await sleep(delay);
      try {
        await batch.heartbeat();
      } catch (hbErr) {
        if (hbErr instanceof AssignmentLostError) return { outcome: 'stale' };
        // Any other heartbeat failure shows again in the next attempt, or in the consumer itself.
      }
    }
  }
}
