import { redisKeys } from '@sunsu/contracts';
import { defineScripts, execOrThrow, type Redis } from '@sunsu/redis';

export type DirtyKind = 'room-meta' | 'last-read';

/** take: dirty → in flight, answers all in flight; giveBack: in flight → dirty. Both keys share the `{dirty}` slot. */
const SCRIPTS = {
  take: { file: new URL('./lua/take-dirty.lua', import.meta.url), keys: 2 },
  giveBack: { file: new URL('./lua/return-dirty.lua', import.meta.url), keys: 2 },
} as const;

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
  private readonly scripts;

  constructor(redis: Redis, kind: DirtyKind) {
    this.redis = redis;
    this.scripts = defineScripts(redis, SCRIPTS);
    this.kind = kind;
    this.dirty = kind === 'room-meta' ? redisKeys.dirtyRoomMeta() : redisKeys.dirtyLastRead();
    this.inFlight = redisKeys.dirtyInFlight(kind);
    this.attemptsKey = redisKeys.dirtyAttempts(kind);
  }

  async take(max: number): Promise<string[]> {
    return (await this.scripts.take([this.dirty, this.inFlight], [String(max)])) as string[];
  }

  /** Written (or nothing to write): forget the entry. */
  async done(entries: string[]): Promise<void> {
    if (entries.length === 0) return;
    await execOrThrow(this.redis.multi().srem(this.inFlight, ...entries).hdel(this.attemptsKey, ...entries));
  }

  /** Not written this time: back into the dirty set for a later run. */
  async giveBack(entries: string[]): Promise<void> {
    if (entries.length === 0) return;
    await this.scripts.giveBack([this.dirty, this.inFlight], entries);
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
