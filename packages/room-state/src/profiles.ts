import { redisKeys } from '@sunsu/contracts';
import { execOrThrow, type Redis } from '@sunsu/redis';

export interface Profile {
  userId: string;
  name: string;
  avatarUrl: string | null;
  role: string;
}

export interface ProfileSource {
  /** Profiles kept by the system of record (absent ids are unknown users). */
  load(userIds: string[]): Promise<Map<string, Profile>>;
  save(profile: Profile): Promise<void>;
}

const PROFILE_TTL_SECONDS = 7 * 24 * 3600;
const RECENT_LIMIT = 10_000;

const fingerprint = (p: Profile) => `${p.name}\u0000${p.avatarUrl ?? ''}\u0000${p.role}`;

/**
 * User profiles (name, avatar, role): Postgres is the record, Redis a cache in front of it. Every authenticated
 * call refreshes the caller's profile from the token's claims; an in-process memory of the last fingerprint seen
 * per user keeps that from costing a round trip per request.
 */
export class ProfileStore {
  private readonly redis: Redis;
  private readonly source: ProfileSource;
  private readonly recent = new Map<string, string>();
  constructor(redis: Redis, source: ProfileSource) {
    this.redis = redis;
    this.source = source;
  }

  /** Record a profile (from claims or the service API); writes only when something changed. */
  async upsert(profile: Profile, options: { force?: boolean } = {}): Promise<void> {
    const print = fingerprint(profile);
    if (!options.force && this.recent.get(profile.userId) === print) return;
    const key = redisKeys.userProfile(profile.userId);
    const cached = await this.redis.hgetall(key);
    const unchanged = !options.force && cached.name !== undefined && fingerprint(fromHash(profile.userId, cached)) === print;
    if (!unchanged) {
      await this.source.save(profile);
      await this.cache([profile]);
    }
    this.recent.delete(profile.userId);
    this.recent.set(profile.userId, print);
    if (this.recent.size > RECENT_LIMIT) this.recent.delete(this.recent.keys().next().value!);
  }

  async get(userIds: string[]): Promise<Map<string, Profile>> {
    const unique = [...new Set(userIds)];
    const pipeline = this.redis.pipeline();
    for (const id of unique) pipeline.hgetall(redisKeys.userProfile(id));
    const results = await execOrThrow(pipeline);
    const found = new Map<string, Profile>();
    const missing: string[] = [];
    unique.forEach((id, i) => {
      const hash = results[i] as Record<string, string> | undefined;
      if (hash && hash.name !== undefined) found.set(id, fromHash(id, hash));
      else missing.push(id);
    });
    if (missing.length > 0) {
      const loaded = await this.source.load(missing);
      await this.cache([...loaded.values()]);
      for (const [id, p] of loaded) found.set(id, p);
    }
    return found;
  }

  private async cache(profiles: Profile[]): Promise<void> {
    if (profiles.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (const p of profiles) {
      const key = redisKeys.userProfile(p.userId);
      pipeline.hset(key, { name: p.name, avatarUrl: p.avatarUrl ?? '', role: p.role });
      pipeline.expire(key, PROFILE_TTL_SECONDS);
    }
    await execOrThrow(pipeline);
  }
}

function fromHash(userId: string, hash: Record<string, string>): Profile {
  return { userId, name: hash.name ?? '', avatarUrl: hash.avatarUrl ? hash.avatarUrl : null, role: hash.role ?? '' };
}
