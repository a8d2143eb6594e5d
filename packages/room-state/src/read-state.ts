import { redisKeys } from '@sunsu/contracts';
import type { Redis } from '@sunsu/redis';

/** Moves a user's last-read up (never down); answers 1 when it moved. One key: the room's last-read hash. */
const ADVANCE_LAST_READ = `
local current = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
local wanted = tonumber(ARGV[2])
if wanted > current then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) return 1 end
return 0`;

/** Updates the room's meta only with a newer message, so a late or redelivered event never moves it back. */
const ADVANCE_META = `
local current = tonumber(redis.call('HGET', KEYS[1], 'lastSequenceId') or '0')
if tonumber(ARGV[1]) <= current then return 0 end
redis.call('HSET', KEYS[1], 'lastSequenceId', ARGV[1], 'lastMessage', ARGV[2], 'lastMessageType', ARGV[3], 'lastMessageAt', ARGV[4])
return 1`;

/**
 * Merges last-read values from the system of record (each only upwards) and marks the hash as hydrated. The
 * marker field lives in the hash itself, so losing the hash loses the marker too; a hash re-created by a single
 * new read after a loss lacks it and is completed on the next read instead of showing others as "unread".
 */
const HYDRATE_LAST_READS = `
for i = 1, #ARGV, 2 do
  local current = tonumber(redis.call('HGET', KEYS[1], ARGV[i]) or '0')
  if tonumber(ARGV[i + 1]) > current then redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
end
redis.call('HSET', KEYS[1], '~hydrated', '1')
return 1`;
const HYDRATED = '~hydrated';

/** Seeds the meta of a room without messages (only when Redis has no meta at all). */
const SEED_META = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'lastSequenceId', ARGV[1], 'lastMessage', ARGV[2], 'lastMessageType', ARGV[3], 'lastMessageAt', ARGV[4])
return 1`;

export interface RoomMeta {
  lastSequenceId: number;
  /** Preview of the newest message ('' when none). */
  lastMessage: string;
  lastMessageType: 'TEXT' | 'IMAGE';
  /** ISO-8601 time of the newest message, or of the room's creation when it has none. */
  lastMessageAt: string;
}

export interface ReadStateSource {
  /** Last-read positions kept by the system of record. */
  lastReads(roomCode: string): Promise<Map<string, number>>;
  /** The room's newest message as the archive/system of record knows it (null: unknown room). */
  meta(roomCode: string): Promise<RoomMeta | null>;
}

export interface RoomMetaUpdate {
  sequenceId: number;
  preview: string;
  messageType: 'TEXT' | 'IMAGE';
  createdAt: string;
}

/**
 * Read positions and room meta in Redis (the hot store; the syncer writes them back to Postgres). Every change
 * marks the room or (room, user) dirty; the dirty mark is a separate command because the dirty sets are global
 * keys and a script must not touch keys of two cluster slots.
 */
export class ReadStateStore {
  private readonly redis: Redis;
  private readonly source: ReadStateSource | undefined;
  /** Without a source, nothing is hydrated (tests of the pure Redis behaviour). */
  constructor(redis: Redis, source?: ReadStateSource) {
    this.redis = redis;
    this.source = source;
  }

  async advanceLastRead(roomCode: string, userId: string, sequenceId: number): Promise<boolean> {
    const moved = (await this.redis.eval(ADVANCE_LAST_READ, 1, redisKeys.roomLastRead(roomCode), userId, String(sequenceId))) === 1;
    if (moved) await this.redis.sadd(redisKeys.dirtyLastRead(), `${roomCode}|${userId}`);
    return moved;
  }

  /** Every participant's last-read; rebuilt from the system of record when Redis lost it. */
  async lastReads(roomCode: string): Promise<Map<string, number>> {
    const key = redisKeys.roomLastRead(roomCode);
    let all = await this.redis.hgetall(key);
    if (all[HYDRATED] === undefined && this.source) {
      const stored = await this.source.lastReads(roomCode);
      const args = [...stored].flatMap(([user, seq]) => [user, String(seq)]);
      await this.redis.eval(HYDRATE_LAST_READS, 1, key, ...args);
      all = await this.redis.hgetall(key);
    }
    delete all[HYDRATED];
    return new Map(Object.entries(all).map(([user, seq]) => [user, Number(seq)]));
  }

  /** The room's meta; rebuilt from the archive / system of record when Redis lost it. Null: unknown room. */
  async meta(roomCode: string): Promise<RoomMeta | null> {
    const key = redisKeys.roomMeta(roomCode);
    const hash = await this.redis.hgetall(key);
    if (hash.lastSequenceId !== undefined) return metaFromHash(hash);
    if (!this.source) return null;
    const stored = await this.source.meta(roomCode);
    if (!stored) return null;
    if (stored.lastSequenceId > 0) await this.advanceMeta(roomCode, { sequenceId: stored.lastSequenceId, preview: stored.lastMessage, messageType: stored.lastMessageType, createdAt: stored.lastMessageAt });
    else await this.redis.eval(SEED_META, 1, key, '0', '', 'TEXT', stored.lastMessageAt);
    return metaFromHash(await this.redis.hgetall(key));
  }

  async advanceMeta(roomCode: string, update: RoomMetaUpdate): Promise<boolean> {
    const moved =
      (await this.redis.eval(ADVANCE_META, 1, redisKeys.roomMeta(roomCode), String(update.sequenceId), update.preview, update.messageType, update.createdAt)) === 1;
    if (moved) await this.redis.sadd(redisKeys.dirtyRoomMeta(), roomCode);
    return moved;
  }

  /** Sequence of the newest persisted message known for the room (0 when none yet). */
  async latestSequence(roomCode: string): Promise<number> {
    return Number((await this.redis.hget(redisKeys.roomMeta(roomCode), 'lastSequenceId')) ?? 0);
  }
}

function metaFromHash(hash: Record<string, string>): RoomMeta {
  return {
    lastSequenceId: Number(hash.lastSequenceId ?? 0),
    lastMessage: hash.lastMessage ?? '',
    lastMessageType: hash.lastMessageType === 'IMAGE' ? 'IMAGE' : 'TEXT',
    lastMessageAt: hash.lastMessageAt ?? new Date(0).toISOString(),
  };
}

/** Users who have read a message: its sender, and everyone whose last-read reached it. */
export function readersOf(sequenceId: number, senderId: string, lastReads: Map<string, number>): string[] {
  const readers = new Set([senderId]);
  for (const [user, seq] of lastReads) if (seq >= sequenceId) readers.add(user);
  return [...readers].sort();
}
