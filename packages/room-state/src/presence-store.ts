import { redisKeys } from '@sunsu/contracts';
import type { Redis } from '@sunsu/redis';

/**
 * Presence per connection, not per (room, user): a sorted set per room whose members are
 * `userId|connectionId|serverId` and whose scores are expiry times. Two tabs or devices of one user are two
 * entries; closing one leaves the user online. A ping re-adds the entry, so it also re-creates an expired one.
 * Join and leave answer atomically whether the user was (or still is) online through a live entry. Expired
 * entries are removed only by the sweep, which reports who went offline (see PresenceSweeper), so an expiry is
 * announced exactly once instead of being pruned silently.
 */
const JOIN = `
local prefix = ARGV[3]
local was = 0
for _, m in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ARGV[2], '+inf')) do
  if string.sub(m, 1, string.len(prefix)) == prefix and m ~= ARGV[1] then was = 1 break end
end
if was == 0 and redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  if tonumber(redis.call('ZSCORE', KEYS[1], ARGV[1])) > tonumber(ARGV[2]) then was = 1 end
end
redis.call('ZADD', KEYS[1], ARGV[4], ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return was`;

const LEAVE = `
redis.call('ZREM', KEYS[1], ARGV[1])
local prefix = ARGV[3]
for _, m in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ARGV[2], '+inf')) do
  if string.sub(m, 1, string.len(prefix)) == prefix then return 1 end
end
return 0`;

/** Removes expired entries; answers {next expiry or -1, users left without a live entry...}. */
const SWEEP = `
local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if #expired > 0 then redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1]) end
local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local result = { first[2] or '-1' }
local live = redis.call('ZRANGE', KEYS[1], 0, -1)
local seen = {}
for _, m in ipairs(expired) do
  local user = string.match(m, '^([^|]+)|')
  if user and not seen[user] then
    seen[user] = true
    local still = false
    for _, l in ipairs(live) do
      if string.sub(l, 1, string.len(user) + 1) == user .. '|' then still = true break end
    end
    if not still then table.insert(result, user) end
  end
end
return result`;

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
    const expiresAt = now + this.ttlMs;
    const [was] = await Promise.all([
      this.redis.eval(JOIN, 1, redisKeys.roomPresence(roomCode), this.member(userId, connectionId, serverId), String(now), `${userId}|`, String(expiresAt), String(this.ttlMs * 2)),
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
    const [next, ...offline] = (await this.redis.eval(SWEEP, 1, key, String(now))) as string[];
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
    const still = await this.redis.eval(LEAVE, 1, redisKeys.roomPresence(roomCode), this.member(userId, connectionId, serverId), String(now), `${userId}|`);
    return still === 1;
  }

  /** User ids with at least one live connection in the room. */
  async onlineUsers(roomCode: string, now = Date.now()): Promise<string[]> {
    const members = await this.redis.zrangebyscore(redisKeys.roomPresence(roomCode), now, '+inf');
    return [...new Set(members.map((m) => m.split('|')[0]!))];
  }
}
