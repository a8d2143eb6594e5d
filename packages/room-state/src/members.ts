import { redisKeys } from '@sunsu/contracts';
import type { Redis } from '@sunsu/redis';

/** Loads a room's participants from the system of record (empty when the room does not exist). */
export type LoadParticipants = (roomCode: string) => Promise<string[]>;

/**
 * A room's participants, cached in Redis and rebuilt from the system of record whenever Redis lost them
 * (cache-aside). Participants of a room never change after creation, so the cache needs no invalidation.
 */
export class RoomMembers {
  private readonly redis: Redis;
  private readonly load: LoadParticipants;
  private readonly localLimit: number;
  /**
   * In-process copy of recently used rooms (insertion order = recency), so a send checks membership without a
   * Redis round trip. Safe because participants never change; unknown rooms are not kept (one may be created).
   */
  private readonly local = new Map<string, string[]>();
  constructor(redis: Redis, load: LoadParticipants, options: { localRooms?: number } = {}) {
    this.redis = redis;
    this.load = load;
    this.localLimit = options.localRooms ?? 0;
  }

  /** The participants, or null when the room does not exist. */
  async of(roomCode: string): Promise<string[] | null> {
    const known = this.local.get(roomCode);
    if (known) {
      this.local.delete(roomCode);
      this.local.set(roomCode, known);
      return known;
    }
    const key = redisKeys.roomMembers(roomCode);
    let participants = await this.redis.smembers(key);
    if (participants.length === 0) {
      participants = await this.load(roomCode);
      if (participants.length === 0) return null;
      await this.redis.sadd(key, ...participants);
    }
    this.keepLocally(roomCode, participants);
    return participants;
  }

  private keepLocally(roomCode: string, participants: string[]) {
    if (this.localLimit === 0) return;
    this.local.set(roomCode, participants);
    if (this.local.size > this.localLimit) this.local.delete(this.local.keys().next().value!);
  }

  /** Seed the cache for a room just created. */
  async remember(roomCode: string, participants: string[]): Promise<void> {
    await this.redis.sadd(redisKeys.roomMembers(roomCode), ...participants);
  }
}
