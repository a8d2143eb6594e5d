import { redisKeys, type RoomPush } from '@sunsu/contracts';
import { execOrThrow, type Redis } from '@sunsu/redis';
import { BadInboxEntryError, parseInboxEntry } from './inbox-entry.ts';

export { BadInboxEntryError };

/**
 * The unicast channel to one chat-server instance: a Redis stream per instance. The dispatcher appends pushes
 * only to the streams of instances that hold subscribers of the room; each instance reads its own stream.
 * A stream (unlike pub/sub) survives a reader's reconnect to Redis, so nothing is dropped while the instance
 * lives. When an instance dies its stream is trimmed and expires; its clients reconnect elsewhere and fetch
 * what they missed with `GET /api/chat/messages/{code}?after=N`.
 */
export const INBOX_MAX_LENGTH = 100_000;
export const INBOX_IDLE_TTL_SECONDS = 600;

export class InboxWriter {
  private readonly redis: Redis;
  constructor(redis: Redis) {
    this.redis = redis;
  }

  /** Append pushes to each target server's stream in one round trip. */
  async deliver(byServer: Map<string, RoomPush[]>): Promise<number> {
    const pipeline = this.redis.pipeline();
    let count = 0;
    for (const [serverId, pushes] of byServer) {
      const key = redisKeys.serverInbox(serverId);
      for (const push of pushes) {
        pipeline.xadd(key, 'MAXLEN', '~', String(INBOX_MAX_LENGTH), '*', 'p', JSON.stringify(push));
        count++;
      }
      pipeline.expire(key, INBOX_IDLE_TTL_SECONDS);
    }
    await execOrThrow(pipeline);
    return count;
  }
}

export interface InboxReaderOptions {
  /** Pause after a failed read or dispatch before trying again. */
  retryDelayMs?: number;
  /** Failing without a break for this long (Redis gone, a dispatch that keeps throwing) counts as unhealthy. */
  stuckAfterMs?: number;
  batchSize?: number;
}

type StreamEntry = [id: string, fields: string[]];

/**
 * Reads this instance's stream. The position moves past entries only once they were dispatched, so a dispatch
 * that throws gets the same entries again (at least once; the hub drops repeated messages). Entries are parsed
 * one by one: a malformed one is reported and skipped, the rest of its batch is delivered.
 */
export class InboxReader {
  private readonly redis: Redis;
  private readonly key: string;
  private readonly retryDelayMs: number;
  private readonly stuckAfterMs: number;
  private readonly batchSize: number;
  /** Undefined until the start position was read. */
  private lastId: string | undefined;
  private running = false;
  /** Bad entries of the current batch already reported, so a redelivered batch does not count them twice. */
  private readonly reported = new Set<string>();
  private failingSince: number | undefined;
  private fatal: unknown;
  /** The latest failure (read, dispatch, bad entry or the fatal stop), for readiness reports. */
  lastError: unknown;
  /** Entries skipped as malformed since start. */
  badEntries = 0;
  constructor(redis: Redis, serverId: string, options: InboxReaderOptions = {}) {
    // A dedicated connection: XREAD BLOCK holds it.
    this.redis = redis.duplicate();
    this.key = redisKeys.serverInbox(serverId);
    this.retryDelayMs = options.retryDelayMs ?? 500;
    this.stuckAfterMs = options.stuckAfterMs ?? 30_000;
    this.batchSize = options.batchSize ?? 500;
  }

  /**
   * Read pushes until stop(); `onPushes` is awaited before the next read, so order is kept. Never rejects: an
   * unexpected failure stops the reader, goes to `onError` and makes `healthy()` false.
   */
  async run(onPushes: (pushes: RoomPush[]) => Promise<void> | void, onError: (err: unknown) => void): Promise<void> {
    this.running = true;
    try {
      while (this.running) {
        try {
          await this.step(onPushes, onError);
          this.failingSince = undefined;
        } catch (err) {
          if (!this.running) break;
          this.lastError = err;
          this.failingSince ??= Date.now();
          onError(err);
          await new Promise((r) => setTimeout(r, this.retryDelayMs));
        }
      }
    } catch (err) {
      this.fatal = err;
      this.lastError = err;
      try {
        onError(err);
      } catch {
        // Nothing left to report to; healthy() tells readiness.
      }
    } finally {
      this.running = false;
    }
  }

  /** Running, and not failing for longer than `stuckAfterMs`. */
  healthy(now = Date.now()): boolean {
    return this.running && this.fatal === undefined && (this.failingSince === undefined || now - this.failingSince < this.stuckAfterMs);
  }

  private async step(onPushes: (pushes: RoomPush[]) => Promise<void> | void, onError: (err: unknown) => void): Promise<void> {
    // Start after the newest existing entry ('$' would skip entries appended between two reads).
    if (this.lastId === undefined) {
      const newest = (await this.redis.xrevrange(this.key, '+', '-', 'COUNT', 1)) as StreamEntry[];
      this.lastId = newest[0]?.[0] ?? '0-0';
    }
    const res = (await this.redis.xread('COUNT', this.batchSize, 'BLOCK', 1000, 'STREAMS', this.key, this.lastId)) as [string, StreamEntry[]][] | null;
    const entries = res?.[0]?.[1] ?? [];
    if (entries.length === 0) return;
    const pushes: RoomPush[] = [];
    for (const [id, fields] of entries) {
      try {
        pushes.push(parseInboxEntry(id, fields));
      } catch (err) {
        if (!(err instanceof BadInboxEntryError)) throw err;
        if (this.reported.has(id)) continue;
        this.reported.add(id);
        this.badEntries++;
        this.lastError = err;
        onError(err);
      }
    }
    if (pushes.length > 0) await onPushes(pushes);
    // Only now: a dispatch that threw above reads the same entries again.
    this.lastId = entries.at(-1)![0];
    this.reported.clear();
  }

  /** Keep the stream alive while this instance lives (the writer also refreshes it on every delivery). */
  async touch(): Promise<void> {
    await this.redis.expire(this.key, INBOX_IDLE_TTL_SECONDS);
  }

  async stop(): Promise<void> {
    this.running = false;
    this.redis.disconnect();
  }
}
