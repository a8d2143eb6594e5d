import { redisKeys } from '@sunsu/contracts';
import type { Redis } from '@sunsu/redis';

/**
 * Presence per connection, not per (room, user): a sorted set per room whose members are
 * `userId|connectionId|serverId` and whose scores are expiry times. Two tabs or devices of one user are two
 * entries; closing one leaves the user online. A ping re-adds the entry, so it also re-creates an expired one.
 * Each script prunes expired entries and answers whether the user was (or still is) online, atomically.
 */
const JOIN = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
local prefix = ARGV[3]
local was = 0
for _, m in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  if string.sub(m, 1, string.len(prefix)) == prefix then was = 1 break end
end
redis.call('ZADD', KEYS[1], ARGV[4], ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return was`;

const LEAVE = `
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
local prefix = ARGV[3]
for _, m in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  if string.sub(m, 1, string.len(prefix)) == prefix then return 1 end
end
return 0`;

export class PresenceStore {
  private readonly redis: Redis;
  private readonly ttlMs: number;
  constructor(redis: Redis, ttlMs: number) {
    this.redis = redis;
    this.ttlMs = ttlMs;
  }

  private member(userId: string, connectionId: string, serverId: string) {
    return `${userId}|${connectionId}|${serverId}`;
  }

  /** Register or refresh a connection's presence; true when the user was already online before. */
  async join(roomCode: string, userId: string, connectionId: string, serverId: string, now = Date.now()): Promise<boolean> {
    const was = await this.redis.eval(JOIN, 1, redisKeys.roomPresence(roomCode), this.member(userId, connectionId, serverId), String(now), `${userId}|`, String(now + this.ttlMs), String(this.ttlMs * 2));
    return was === 1;
  }

  /** Remove a connection's presence; true when the user is still online through another connection. */
  async leave(roomCode: string, userId: string, connectionId: string, serverId: string, now = Date.now()): Promise<boolean> {
    const still = await this.redis.eval(LEAVE, 1, redisKeys.roomPresence(roomCode), this.member(userId, connectionId, serverId), String(now), `${userId}|`);
    return still === 1;
  }

  /** User ids with at least one live connection in the room. */
  async onlineUsers(roomCode: string, now = Date.now()): Promise<string[]> {
    const members = await this.redis.zrangebyscore(redisKeys.roomPresence(roomCode), now, '+inf');
    return [...new Set(members.map((m) => m.split('|')[0]!))];
  }
}
