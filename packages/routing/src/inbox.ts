import { redisKeys, type RoomPush } from '@sunsu/contracts';
import type { Redis } from '@sunsu/redis';

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
    const results = (await pipeline.exec()) ?? [];
    const failed = results.find(([err]) => err);
    if (failed) throw failed[0];
    return count;
  }
}

export class InboxReader {
  private readonly redis: Redis;
  private readonly key: string;
  private lastId = '0-0';
  private running = false;
  constructor(redis: Redis, serverId: string) {
    // A dedicated connection: XREAD BLOCK holds it.
    this.redis = redis.duplicate();
    this.key = redisKeys.serverInbox(serverId);
  }

  /** Read pushes until stop(); `onPushes` is awaited before the next read, so order is kept. */
  async run(onPushes: (pushes: RoomPush[]) => Promise<void> | void, onError: (err: unknown) => void): Promise<void> {
    this.running = true;
    // Start after the newest existing entry ('$' would skip entries appended between two reads).
    const newest = (await this.redis.xrevrange(this.key, '+', '-', 'COUNT', 1)) as [string, string[]][];
    this.lastId = newest[0]?.[0] ?? '0-0';
    while (this.running) {
      try {
        const res = (await this.redis.xread('COUNT', 500, 'BLOCK', 1000, 'STREAMS', this.key, this.lastId)) as
          | [string, [string, string[]][]][]
          | null;
        if (!res) continue;
        const entries = res[0]?.[1] ?? [];
        if (entries.length === 0) continue;
        this.lastId = entries.at(-1)![0];
        const pushes: RoomPush[] = [];
        for (const [, fields] of entries) {
          const raw = fields[1];
          if (raw) pushes.push(JSON.parse(raw) as RoomPush);
        }
        await onPushes(pushes);
      } catch (err) {
        if (!this.running) break;
        onError(err);
        await new Promise((r) => setTimeout(r, 500));
      }
    }
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
