import { redisKeys } from '@sunsu/contracts';
import { defineScripts, type Redis } from '@sunsu/redis';
import type { SequenceAllocator } from '../domain/ports.ts';
import { errors } from '../domain/errors.ts';

/**
 * Answers [sequence, duplicate]. A missing counter answers -1 and is rebuilt from the highest persisted sequence
 * first. Both keys carry the room's hash tag (one cluster slot).
 */
const SCRIPTS = { allocate: { file: new URL('./lua/allocate-sequence.lua', import.meta.url), keys: 2 } } as const;

export interface SequenceAllocatorOptions {
  /** Highest sequence that may already be in use for the room (persisted, or accepted and in flight). */
  highestInUse(roomCode: string): Promise<number>;
  /** How long a messageId is remembered for resend deduplication. */
  dedupTtlSeconds?: number;
}

export class RedisSequenceAllocator implements SequenceAllocator {
  private readonly redis: Redis;
  private readonly options: SequenceAllocatorOptions;
  private readonly scripts;
  constructor(redis: Redis, options: SequenceAllocatorOptions) {
    this.redis = redis;
    this.options = options;
    this.scripts = defineScripts(redis, SCRIPTS);
  }

  async allocate(roomCode: string, senderId: string, messageId: string) {
    const seqKey = redisKeys.roomSequence(roomCode);
    const sentKey = redisKeys.roomSent(roomCode, senderId, messageId);
    for (let attempt = 0; attempt < 3; attempt++) {
      const [sequenceId, duplicate] = (await this.scripts.allocate([seqKey, sentKey], [String(this.options.dedupTtlSeconds ?? 300)])) as [number, number];
      if (sequenceId >= 0) return { sequenceId, duplicate: duplicate === 1 };
      // Counter lost (eviction, FLUSHALL, new Redis): rebuild it. SET NX makes concurrent rebuilders on
      // several chat-server processes agree on one base; everyone then INCRs from it.
      const base = await this.options.highestInUse(roomCode);
      await this.redis.set(seqKey, String(base), 'NX');
    }
    throw errors.unavailable('could not allocate a sequence number');
  }
}
