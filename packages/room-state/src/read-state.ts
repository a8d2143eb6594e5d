import { redisKeys } from '@sunsu/contracts';
import { defineScripts, type Redis } from '@sunsu/redis';

/** Where a change stands against Redis: moved (1), already there (0), behind (-1); see lua/advance-*.lua. */
const MOVED = 1;
const ALREADY_THERE = 0;

const SCRIPTS = {
  advanceLastRead: { file: new URL('./lua/advance-last-read.lua', import.meta.url), keys: 1 },
  advanceMeta: { file: new URL('./lua/advance-meta.lua', import.meta.url), keys: 1 },
  /**
   * The hydrated marker lives in the hash itself, so losing the hash loses the marker too; a hash re-created by
   * a single new read after a loss lacks it and is completed on the next read instead of showing others as unread.
   */
  hydrateLastReads: { file: new URL('./lua/hydrate-last-reads.lua', import.meta.url), keys: 1 },
  seedMeta: { file: new URL('./lua/seed-meta.lua', import.meta.url), keys: 1 },
} as const;
/** Field set by hydrate-last-reads.lua. */
export const HYDRATED = '~hydrated';

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
 * keys and a script must not touch keys of two cluster slots. So the mark is also set when the value already was
 * there (marking is idempotent): a retry after a crash between the script and the mark still marks it.
 */
export class ReadStateStore {
  private readonly redis: Redis;
  private readonly source: ReadStateSource | undefined;
  private readonly scripts;
  /** Without a source, nothing is hydrated (tests of the pure Redis behaviour). */
  constructor(redis: Redis, source?: ReadStateSource) {
    this.redis = redis;
    this.source = source;
    this.scripts = defineScripts(redis, SCRIPTS);
  }

  async advanceLastRead(roomCode: string, userId: string, sequenceId: number): Promise<boolean> {
    const state = await this.scripts.advanceLastRead([redisKeys.roomLastRead(roomCode)], [userId, String(sequenceId)]);
    if (state === MOVED || state === ALREADY_THERE) await this.redis.sadd(redisKeys.dirtyLastRead(), `${roomCode}|${userId}`);
    return state === MOVED;
  }

  /** Every participant's last-read; rebuilt from the system of record when Redis lost it. */
  async lastReads(roomCode: string): Promise<Map<string, number>> {
    const key = redisKeys.roomLastRead(roomCode);
    let all = await this.redis.hgetall(key);
    if (all[HYDRATED] === undefined && this.source) {
      const stored = await this.source.lastReads(roomCode);
      const args = [...stored].flatMap(([user, seq]) => [user, String(seq)]);
      await this.scripts.hydrateLastReads([key], args);
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
    else await this.scripts.seedMeta([key], ['0', '', 'TEXT', stored.lastMessageAt]);
    return metaFromHash(await this.redis.hgetall(key));
  }

  async advanceMeta(roomCode: string, update: RoomMetaUpdate): Promise<boolean> {
    const state = await this.scripts.advanceMeta([redisKeys.roomMeta(roomCode)], [String(update.sequenceId), update.preview, update.messageType, update.createdAt]);
    if (state === MOVED || state === ALREADY_THERE) await this.redis.sadd(redisKeys.dirtyRoomMeta(), roomCode);
    return state === MOVED;
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
