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
  constructor(redis: Redis) {
    this.redis = redis;
  }

  async advanceLastRead(roomCode: string, userId: string, sequenceId: number): Promise<boolean> {
    const moved = (await this.redis.eval(ADVANCE_LAST_READ, 1, redisKeys.roomLastRead(roomCode), userId, String(sequenceId))) === 1;
    if (moved) await this.redis.sadd(redisKeys.dirtyLastRead(), `${roomCode}|${userId}`);
    return moved;
  }

  async lastReads(roomCode: string): Promise<Map<string, number>> {
    const all = await this.redis.hgetall(redisKeys.roomLastRead(roomCode));
    return new Map(Object.entries(all).map(([user, seq]) => [user, Number(seq)]));
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

/** Users who have read a message: its sender, and everyone whose last-read reached it. */
export function readersOf(sequenceId: number, senderId: string, lastReads: Map<string, number>): string[] {
  const readers = new Set([senderId]);
  for (const [user, seq] of lastReads) if (seq >= sequenceId) readers.add(user);
  return [...readers].sort();
}
