/**
 * Error classification: kafkajs wraps protocol errors (in retry errors, in crash errors), so each condition is
 * looked for along the whole chain.
 */

/** Walk an error chain (kafkajs wraps protocol errors in retry errors) looking for a condition. */
function someCause(err: unknown, test: (e: { type?: string; name?: string; message?: string }) => boolean): boolean {
  let current: unknown = err;
  for (let depth = 0; current && depth < 6; depth++) {
    const e = current as { type?: string; name?: string; message?: string; originalError?: unknown; cause?: unknown };
    if (test(e)) return true;
    current = e.originalError ?? e.cause;
  }
  return false;
}

/** A newer producer with the same transactional id exists. */
export const isFencedError = (err: unknown) =>
  someCause(err, (e) => e.type === 'INVALID_PRODUCER_EPOCH' || e.type === 'PRODUCER_FENCED' || e.type === 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED');

/** The coordinator no longer counts this member as the owner of its partitions (rebalance, expired session). */
export const isAssignmentLost = (err: unknown) =>
  someCause(err, (e) => e.type === 'UNKNOWN_MEMBER_ID' || e.type === 'REBALANCE_IN_PROGRESS' || e.type === 'ILLEGAL_GENERATION' || e.type === 'FENCED_INSTANCE_ID');

/** A producer left in COMMITTING/ABORTING (e.g. after a broker outage) never recovers: it must be recreated. */
export const isStuckTransactionState = (err: unknown) =>
  someCause(err, (e) => /Transaction state exception|Invalid state transition|Cannot .* transaction/i.test(e.message ?? ''));
