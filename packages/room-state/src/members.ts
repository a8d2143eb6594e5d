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
  constructor(redis: Redis, load: LoadParticipants) {
    this.redis = redis;
    this.load = load;
  }

  /** The participants, or null when the room does not exist. */
  async of(roomCode: string): Promise<string[] | null> {
    const key = redisKeys.roomMembers(roomCode);
    const cached = await this.redis.smembers(key);
    if (cached.length > 0) return cached;
    const loaded = await this.load(roomCode);
    if (loaded.length === 0) return null;
    await this.redis.sadd(key, ...loaded);
    return loaded;
  }

  /** Seed the cache for a room just created. */
  async remember(roomCode: string, participants: string[]): Promise<void> {
    await this.redis.sadd(redisKeys.roomMembers(roomCode), ...participants);
  }
}
