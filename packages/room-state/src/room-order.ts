import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { redisKeys } from '@sunsu/contracts';
import { execOrThrow, type ChainableCommander, type Redis } from '@sunsu/redis';

/**
 * Marks a user's room order as complete (built from the system of record). It lives inside the sorted set, so
 * an eviction or FLUSHALL takes it away together with the order; a set rebuilt piecemeal by new messages after a
 * loss lacks it and is completed from the system of record on the next read. Score -inf keeps it last.
 */
const COMPLETE = '~complete';
const SNAPSHOT_TTL_MS = 10 * 60_000;

export interface RoomOrderEntry {
  code: string;
  /** Time of the room's newest message (ms), or its creation time when it has none. */
  score: number;
}

/** Everything a user's room order is rebuilt from: their rooms and each room's latest activity. */
export type LoadRoomOrder = (userId: string) => Promise<RoomOrderEntry[]>;

const Cursor = z.object({
  /** Snapshot id (absent: the list fitted one page when the walk started). */
  s: z.string().regex(/^[a-z0-9]{1,16}$/).optional(),
  /** Position in the snapshot. */
  o: z.number().int().min(0),
  /** Score and code of the last entry returned: the keyset fallback when the snapshot expired. */
  t: z.number(),
  c: z.string().min(1).max(64),
});
type Cursor = z.output<typeof Cursor>;

export class InvalidCursorError extends Error {}

export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify(c)).toString('base64url');
}

export function decodeCursor(raw: string): Cursor {
  try {
    return Cursor.parse(JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')));
  } catch {
    throw new InvalidCursorError('invalid cursor');
  }
}

function pairs(flat: string[]): RoomOrderEntry[] {
  const out: RoomOrderEntry[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) if (flat[i] !== COMPLETE) out.push({ code: flat[i]!, score: Number(flat[i + 1]) });
  return out;
}

/**
 * Queue "the room's activity moved to `atMs`" for these users on a caller's pipeline (the fan-out batches it with
 * its other writes). Scores only move forward (ZADD GT).
 */
export function queueRoomActivity(pipeline: ChainableCommander, roomCode: string, userIds: readonly string[], atMs: number): void {
  for (const user of userIds) pipeline.zadd(redisKeys.userRooms(user), 'GT', atMs, roomCode);
}

/**
 * Per-user room order by latest message (one sorted set per user, score = time of the room's newest message).
 * Scores only move forward (ZADD GT), so a late or redelivered event and re-opening a room never reorder it;
 * equal scores are ordered by room code, so ties are deterministic.
 *
 * Pagination walks a snapshot taken by the first page (`ZRANGESTORE`, same hash slot as the order): rooms that
 * move while a client pages are neither missed nor repeated — new activity reaches the client in real time.
 * If the snapshot expired, the cursor continues by (score, code) on the live order.
 */
export class RoomOrder {
  private readonly redis: Redis;
  private readonly load: LoadRoomOrder;
  constructor(redis: Redis, load: LoadRoomOrder) {
    this.redis = redis;
    this.load = load;
  }

  /** A room joined the users' lists (creation): keeps an existing score, so re-opening does not reorder. */
  async add(roomCode: string, userIds: string[], atMs: number): Promise<void> {
    const pipeline = this.redis.pipeline();
    for (const user of userIds) pipeline.zadd(redisKeys.userRooms(user), 'NX', atMs, roomCode);
    await execOrThrow(pipeline);
  }

  /** Rebuild the user's order from the system of record when Redis lost it (or only holds fragments). */
  async ensure(userId: string): Promise<void> {
    const key = redisKeys.userRooms(userId);
    if ((await this.redis.zscore(key, COMPLETE)) !== null) return;
    const entries = await this.load(userId);
    const pipeline = this.redis.pipeline();
    for (const e of entries) pipeline.zadd(key, 'GT', e.score, e.code);
    pipeline.zadd(key, '-inf', COMPLETE);
    await execOrThrow(pipeline);
  }

  async page(userId: string, size: number, cursor?: string): Promise<{ entries: RoomOrderEntry[]; nextCursor: string | null }> {
    const key = redisKeys.userRooms(userId);
    let entries: RoomOrderEntry[];
    let snapshot: string | undefined;
    let offset = 0;
    if (cursor === undefined) {
      await this.ensure(userId);
      const count = (await this.redis.zcard(key)) - 1;
      if (count > size) {
        snapshot = randomUUID().replaceAll('-', '').slice(0, 16);
        const snapKey = redisKeys.userRoomsSnapshot(userId, snapshot);
        await execOrThrow(this.redis.multi().zrangestore(snapKey, key, 0, -1).pexpire(snapKey, SNAPSHOT_TTL_MS));
        entries = pairs(await this.redis.zrevrange(snapKey, 0, size, 'WITHSCORES'));
      } else {
        entries = pairs(await this.redis.zrevrange(key, 0, size, 'WITHSCORES'));
      }
    } else {
      const c = decodeCursor(cursor);
      const snapKey = c.s ? redisKeys.userRoomsSnapshot(userId, c.s) : undefined;
      if (snapKey && (await this.redis.exists(snapKey)) === 1) {
        snapshot = c.s;
        offset = c.o;
        entries = pairs(await this.redis.zrevrange(snapKey, offset, offset + size, 'WITHSCORES'));
      } else {
        entries = await this.after(key, c, size + 1);
      }
    }
    const hasNext = entries.length > size;
    const page = entries.slice(0, size);
    const last = page.at(-1);
    const nextCursor = hasNext && last ? encodeCursor({ ...(snapshot ? { s: snapshot } : {}), o: offset + size, t: last.score, c: last.code }) : null;
    return { entries: page, nextCursor };
  }

  /** Entries after (score, code) in (score desc, code desc) order on the live order. */
  private async after(key: string, c: Cursor, limit: number): Promise<RoomOrderEntry[]> {
    const ties = await this.redis.zcount(key, c.t, c.t);
    const flat = (await this.redis.call('ZRANGE', key, String(c.t), '-inf', 'BYSCORE', 'REV', 'LIMIT', '0', String(limit + ties), 'WITHSCORES')) as string[];
    return pairs(flat)
      .filter((e) => e.score < c.t || e.code < c.c)
      .slice(0, limit);
  }
}
