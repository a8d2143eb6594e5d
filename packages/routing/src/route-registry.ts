import { redisKeys } from '@sunsu/contracts';
import { execOrThrow, type Redis } from '@sunsu/redis';

/**
 * Which chat-server instances hold subscribers of a room. A sorted set per room: member = server id,
 * score = expiry time (ms). The holder refreshes its rooms periodically; a dead instance's entries simply
 * expire, and readers ignore expired scores (and prune them lazily). No KEYS scan anywhere.
 */
export class RouteRegistry {
  private readonly redis: Redis;
  private readonly ttlMs: number;
  constructor(redis: Redis, ttlMs = 60_000) {
    this.redis = redis;
    this.ttlMs = ttlMs;
  }

  /** Register (or refresh) this server for these rooms. */
  async register(serverId: string, roomCodes: Iterable<string>, now = Date.now()): Promise<void> {
    const pipeline = this.redis.pipeline();
    for (const code of roomCodes) {
      const key = redisKeys.roomRoutes(code);
      pipeline.zadd(key, now + this.ttlMs, serverId);
      pipeline.pexpire(key, this.ttlMs * 2);
    }
    await execOrThrow(pipeline);
  }

  async unregister(serverId: string, roomCodes: Iterable<string>): Promise<void> {
    const pipeline = this.redis.pipeline();
    for (const code of roomCodes) pipeline.zrem(redisKeys.roomRoutes(code), serverId);
    await execOrThrow(pipeline);
  }

  /** Live servers per room, for many rooms in one round trip. */
  async liveServers(roomCodes: string[], now = Date.now()): Promise<Map<string, string[]>> {
    const pipeline = this.redis.pipeline();
    for (const code of roomCodes) {
      pipeline.zremrangebyscore(redisKeys.roomRoutes(code), '-inf', now);
      pipeline.zrangebyscore(redisKeys.roomRoutes(code), now, '+inf');
    }
    const results = await execOrThrow(pipeline);
    const out = new Map<string, string[]>();
    roomCodes.forEach((code, i) => out.set(code, results[i * 2 + 1] as string[]));
    return out;
  }
}
