import type { RoomPush } from '@sunsu/contracts';

/**
 * What may be queued for one client connection. A client that stops reading (a stuck tab, a hostile reader)
 * must cost the server a bounded amount of memory: past `maxBufferedBytes` it is disconnected as a slow
 * consumer and catches up with `after=` when it reconnects, so nothing is lost. Measured in bytes queued in the
 * process (socket write buffer and transport queues), not in message counts, because message sizes differ by
 * three orders of magnitude.
 */
export interface OutboundLimits {
  maxBufferedBytes: number;
  /** Above this backlog, ephemeral pushes (typing, presence) are dropped instead of queued. */
  ephemeralBufferedBytes: number;
}

export const DEFAULT_OUTBOUND_LIMITS: OutboundLimits = {
  maxBufferedBytes: 1024 * 1024,
  ephemeralBufferedBytes: 16 * 1024,
};

/** A peer that does not finish a close handshake (stuck, half-open) is cut off after this, on every transport. */
export const CLOSE_GRACE_MS = 2000;

export type OutboundVerdict = 'write' | 'drop' | 'slow-consumer';

/** Typing and presence describe the present moment: stale ones are worthless, so they are never queued. */
export function isEphemeral(push: RoomPush | undefined): boolean {
  return push?.kind === 'typing' || push?.kind === 'presence';
}

/** Decide what to do with `bytes` more for a connection that already has `buffered` bytes queued. */
export function outboundVerdict(buffered: number, bytes: number, ephemeral: boolean, limits: OutboundLimits): OutboundVerdict {
  if (ephemeral && buffered > limits.ephemeralBufferedBytes) return 'drop';
  if (buffered + bytes > limits.maxBufferedBytes) return 'slow-consumer';
  return 'write';
}

/** Told once per connection cut off as a slow consumer (metrics, a log line). */
export type SlowConsumerListener = (info: { transport: string; connectionId: string; userId: string | undefined; bufferedBytes: number }) => void;
