import { redisKeys } from '@sunsu/contracts';
import { createRedis, type Redis } from '@sunsu/redis';
import { infra, uniqueName } from '@sunsu/testkit';
import { RoomMembers } from './members.ts';

describe('RoomMembers (real Redis)', () => {
  const prefix = `${uniqueName('it-members')}:`;
  let redis: Redis;
  const stored = new Map<string, string[]>([['r1', ['1', '2']], ['r2', ['3', '4']], ['r3', ['5', '6']]]);
  let loads = 0;
  const load = async (room: string) => {
    loads++;
    return stored.get(room) ?? [];
  };

  beforeAll(() => {
    redis = createRedis(infra().CHAT_REDIS_URL, { keyPrefix: prefix });
  });
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`); // test-only cleanup of this test's own prefix
    if (keys.length) await redis.del(...keys.map((k) => k.slice(prefix.length)));
    redis.disconnect();
  });

  it('loads from the system of record once, caches in Redis, and keeps recent rooms in process (bounded)', async () => {
    const members = new RoomMembers(redis, load, { localRooms: 2 });
    expect(await members.of('r1')).toEqual(['1', '2']);
    expect(loads).toBe(1);
    expect((await redis.smembers(redisKeys.roomMembers('r1'))).sort()).toEqual(['1', '2']);

    // Redis loses the set: the in-process copy still answers, without Redis or the loader.
    await redis.del(redisKeys.roomMembers('r1'));
    expect(await members.of('r1')).toEqual(['1', '2']);
    expect(loads).toBe(1);

    await members.of('r2');
    await members.of('r3'); // r1 is now the least recently used of three: dropped from the process
    expect(loads).toBe(3);
    expect(await members.of('r1')).toEqual(['1', '2']);
    expect(loads).toBe(4); // reloaded (Redis had lost it)

    // An unknown room is not remembered: it may be created later.
    expect(await members.of('r9')).toBeNull();
    stored.set('r9', ['7', '8']);
    expect(await members.of('r9')).toEqual(['7', '8']);
  });

  it('without a local size, every call asks Redis', async () => {
    const members = new RoomMembers(redis, load);
    await members.of('r2');
    await redis.del(redisKeys.roomMembers('r2'));
    const before = loads;
    await members.of('r2');
    expect(loads).toBe(before + 1);
  });
});
