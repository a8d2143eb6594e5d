import { redisKeys } from '@sunsu/contracts';
import type { Redis } from '@sunsu/redis';
import type { SequenceAllocator } from '../domain/ports.ts';
import { errors } from '../domain/errors.ts';

/**
 * Returns [sequence, duplicate]. A resend of the same (sender, messageId) within the dedup window gets its first
 * sequence back. A missing counter is never INCRemented from zero: the script answers -1 and the caller rebuilds
 * it from the highest persisted sequence first. Both keys carry the room's hash tag (one cluster slot).
 */
const ALLOCATE = `
local prior = redis.call('GET', KEYS[2])
if prior then return {tonumber(prior), 1} end
if redis.call('EXISTS', KEYS[1]) == 0 then return {-1, 0} end
local seq = redis.call('INCR', KEYS[1])
redis.call('SET', KEYS[2], seq, 'EX', tonumber(ARGV[1]))
return {seq, 0}`;

export interface SequenceAllocatorOptions {
  /** Highest sequence that may already be in use for the room (persisted, or accepted and in flight). */
  highestInUse(roomCode: string): Promise<number>;
  /** How long a messageId is remembered for resend deduplication. */
  dedupTtlSeconds?: number;
}

export class RedisSequenceAllocator implements SequenceAllocator {
  private readonly redis: Redis;
  private readonly options: SequenceAllocatorOptions;
  constructor(redis: Redis, options: SequenceAllocatorOptions) {
    this.redis = redis;
    this.options = options;
  }

  async allocate(roomCode: string, senderId: string, messageId: string) {
    const seqKey = redisKeys.roomSequence(roomCode);
    const sentKey = redisKeys.roomSent(roomCode, senderId, messageId);
    for (let attempt = 0; attempt < 3; attempt++) {
      const [sequenceId, duplicate] = (await this.redis.eval(ALLOCATE, 2, seqKey, sentKey, String(this.options.dedupTtlSeconds ?? 300))) as [number, number];
      if (sequenceId >= 0) return { sequenceId, duplicate: duplicate === 1 };
      // Counter lost (eviction, FLUSHALL, new Redis): rebuild it. SET NX makes concurrent rebuilders on
      // several chat-server processes agree on one base; everyone then INCRs from it.
      const base = await this.options.highestInUse(roomCode);
      await this.redis.set(seqKey, String(base), 'NX');
    }
    throw errors.unavailable('could not allocate a sequence number');
  }
}
