import { redisKeys } from '@sunsu/contracts';
import type { Redis } from '@sunsu/redis';

export type DirtyKind = 'room-meta' | 'last-read';

/**
 * Moves up to N entries from the dirty set into the in-flight set and answers everything in flight (including
 * entries a crashed flush left behind). Taking an entry out of the dirty set *before* its value is read is what
 * closes the original's lost-update window: a change that lands during the flush marks the entry dirty again,
 * and the next run writes it.
 */
const TAKE = `
local taken = redis.call('SPOP', KEYS[1], ARGV[1])
for _, m in ipairs(taken) do redis.call('SADD', KEYS[2], m) end
return redis.call('SMEMBERS', KEYS[2])`;

/** Puts entries back into the dirty set (retry later) and out of the in-flight set. */
const RETURN = `
for _, m in ipairs(ARGV) do
  redis.call('SREM', KEYS[2], m)
  redis.call('SADD', KEYS[1], m)
end
return #ARGV`;

export interface Attempt {
  attempts: number;
  notBefore: number;
}

/** One dirty set with its in-flight set and per-entry attempt records (all in the `{dirty}` hash slot). */
export class DirtySet {
  readonly kind: DirtyKind;
  private readonly redis: Redis;
  private readonly dirty: string;
  private readonly inFlight: string;
  private readonly attemptsKey: string;

  constructor(redis: Redis, kind: DirtyKind) {
    this.redis = redis;
    this.kind = kind;
    this.dirty = kind === 'room-meta' ? redisKeys.dirtyRoomMeta() : redisKeys.dirtyLastRead();
    this.inFlight = redisKeys.dirtyInFlight(kind);
    this.attemptsKey = redisKeys.dirtyAttempts(kind);
  }

  async take(max: number): Promise<string[]> {
    return (await this.redis.eval(TAKE, 2, this.dirty, this.inFlight, String(max))) as string[];
  }

  /** Written (or nothing to write): forget the entry. */
  async done(entries: string[]): Promise<void> {
    if (entries.length === 0) return;
    await this.redis.multi().srem(this.inFlight, ...entries).hdel(this.attemptsKey, ...entries).exec();
  }

  /** Not written this time: back into the dirty set for a later run. */
  async giveBack(entries: string[]): Promise<void> {
    if (entries.length === 0) return;
    await this.redis.eval(RETURN, 2, this.dirty, this.inFlight, ...entries);
  }

  async attempts(entries: string[]): Promise<Map<string, Attempt>> {
    if (entries.length === 0) return new Map();
    const raw = await this.redis.hmget(this.attemptsKey, ...entries);
    const out = new Map<string, Attempt>();
    entries.forEach((e, i) => {
      const [attempts, notBefore] = (raw[i] ?? '0|0').split('|').map(Number);
      out.set(e, { attempts: attempts ?? 0, notBefore: notBefore ?? 0 });
    });
    return out;
  }

  async recordFailure(entry: string, attempt: Attempt): Promise<void> {
    await this.redis.hset(this.attemptsKey, entry, `${attempt.attempts}|${attempt.notBefore}`);
  }

  async sizes(): Promise<{ dirty: number; inFlight: number }> {
    const [dirty, inFlight] = await Promise.all([this.redis.scard(this.dirty), this.redis.scard(this.inFlight)]);
    return { dirty, inFlight };
  }
}
