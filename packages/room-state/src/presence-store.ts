import { redisKeys } from '@sunsu/contracts';
import { defineScripts, type Redis } from '@sunsu/redis';

const SCRIPTS = {
  join: { file: new URL('./lua/presence-join.lua', import.meta.url), keys: 1 },
  leave: { file: new URL('./lua/presence-leave.lua', import.meta.url), keys: 1 },
  sweep: { file: new URL('./lua/presence-sweep.lua', import.meta.url), keys: 1 },
} as const;

/**
 * Presence per connection, not per (room, user): a sorted set per room whose members are
 * `userId|connectionId|serverId` and whose scores are expiry times. Two tabs or devices of one user are two
 * entries; closing one leaves the user online. A ping re-adds the entry, so it also re-creates an expired one.
 * Join and leave answer atomically whether the user was (or still is) online through a live entry. Expired
 * entries are removed only by the sweep, which reports who went offline (see PresenceSweeper), so an expiry is
 * announced exactly once instead of being pruned silently.
 */
export class PresenceStore {
  private readonly redis: Redis;
  private readonly ttlMs: number;
  private readonly scripts;
  constructor(redis: Redis, ttlMs: number) {
    this.redis = redis;
    this.ttlMs = ttlMs;
    this.scripts = defineScripts(redis, SCRIPTS);
  }

  private member(userId: string, connectionId: string, serverId: string) {
    return `${userId}|${connectionId}|${serverId}`;
  }

  /** Register or refresh a connection's presence; true when the user was already online before. */
  async join(roomCode: string, userId: string, connectionId: string, serverId: string, now = Date.now()): Promise<boolean> {
    const expiresAt = now + this.ttlMs;
    const [was] = await Promise.all([
      this.scripts.join([redisKeys.roomPresence(roomCode)], [this.member(userId, connectionId, serverId), String(now), `${userId}|`, String(expiresAt), String(this.ttlMs * 2)]),
      // LT keeps the room's earliest expiry (and adds the room when it is new to the sweep).
      this.redis.zadd(redisKeys.presenceDue(), 'LT', String(expiresAt), roomCode),
    ]);
    return was === 1;
  }

  /** Rooms whose earliest presence expiry has passed. */
  async dueRooms(now: number, limit: number): Promise<string[]> {
    return this.redis.zrangebyscore(redisKeys.presenceDue(), '-inf', now, 'LIMIT', 0, limit);
  }

  /** Removes a room's expired connections; answers the users who have no live connection left there. */
  async sweep(roomCode: string, now = Date.now()): Promise<string[]> {
    const key = redisKeys.roomPresence(roomCode);
    const [next, ...offline] = (await this.scripts.sweep([key], [String(now)])) as string[];
    if (next === '-1') {
      await this.redis.zrem(redisKeys.presenceDue(), roomCode);
      // A join may have landed between the sweep and the removal: keep such a room in the sweep.
      const first = await this.redis.zrange(key, '0', '0', 'WITHSCORES');
      if (first[1] !== undefined) await this.redis.zadd(redisKeys.presenceDue(), 'LT', first[1], roomCode);
    } else {
      await this.redis.zadd(redisKeys.presenceDue(), Number(next), roomCode);
    }
    return offline;
  }

  /** Remove a connection's presence; true when the user is still online through another connection. */
  async leave(roomCode: string, userId: string, connectionId: string, serverId: string, now = Date.now()): Promise<boolean> {
    const still = await this.scripts.leave([redisKeys.roomPresence(roomCode)], [this.member(userId, connectionId, serverId), String(now), `${userId}|`]);
    return still === 1;
  }

  /** User ids with at least one live connection in the room. */
  async onlineUsers(roomCode: string, now = Date.now()): Promise<string[]> {
    const members = await this.redis.zrangebyscore(redisKeys.roomPresence(roomCode), now, '+inf');
    return [...new Set(members.map((m) => m.split('|')[0]!))];
  }
}
