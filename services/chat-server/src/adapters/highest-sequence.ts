import { eq } from 'drizzle-orm';
import { CONSUMER_GROUPS, TOPICS } from '@sunsu/contracts';
import type { MessageModel } from '@sunsu/archive';
import { chatRooms, type Database } from '@sunsu/db';
import type { Admin } from '@sunsu/kafka';
import type { Logger } from '@sunsu/observability';

export interface HighestSequenceDeps {
  messages: MessageModel;
  db: Database;
  kafkaAdmin: Admin;
  logger: Logger;
  /** How long to wait for the persist stage to catch up with everything already accepted. */
  drainTimeoutMs?: number;
  /** Added to the base when the pipeline could not be drained in time, to stay above in-flight sequences. */
  undrainedMargin?: number;
}

/**
 * The highest sequence a room may already use, for rebuilding a lost counter. Messages accepted before the loss
 * may still be in Kafka, not yet in the archive: first wait until the persist stage has committed every offset
 * that existed when we started (so "persisted" covers everything accepted), then take the archive's maximum
 * (and Postgres' meta as a floor). If draining times out, a safety margin keeps new numbers above in-flight ones.
 */
export function createHighestSequence(deps: HighestSequenceDeps): (roomCode: string) => Promise<number> {
  const drainTimeoutMs = deps.drainTimeoutMs ?? 15_000;
  // After a Redis loss every active room rebuilds at once: they share one wait instead of each polling Kafka.
  const persisted = shared(() => waitForPersistStage(deps.kafkaAdmin, drainTimeoutMs));
  return async (roomCode) => {
    const drained = await persisted();
    const [top] = await deps.messages.find({ chatRoomCode: roomCode }, { sequenceId: 1 }).sort({ sequenceId: -1 }).limit(1).lean();
    const [meta] = await deps.db.select({ last: chatRooms.lastSequenceId }).from(chatRooms).where(eq(chatRooms.code, roomCode));
    const base = Math.max(top?.sequenceId ?? 0, meta?.last ?? 0);
    const result = drained ? base : base + (deps.undrainedMargin ?? 10_000);
    deps.logger.warn({ roomCode, base, drained, result }, 'rebuilt a lost sequence counter');
    return result;
  };
}

/** Callers that arrive while a call is in flight get its promise; the next call after it settled starts anew. */
function shared<T>(start: () => Promise<T>): () => Promise<T> {
  let inFlight: Promise<T> | undefined;
  return () =>
    (inFlight ??= start().finally(() => {
      inFlight = undefined;
    }));
}

async function waitForPersistStage(admin: Admin, timeoutMs: number): Promise<boolean> {
  const target = await admin.endOffsets(TOPICS.chatMessage);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const committed = new Map((await admin.groupOffsets(CONSUMER_GROUPS.persist, TOPICS.chatMessage)).map((o) => [o.partition, BigInt(o.offset)]));
    const behind = target.filter((t) => BigInt(t.offset) > 0n && (committed.get(t.partition) ?? -1n) < BigInt(t.offset));
    if (behind.length === 0) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
}
