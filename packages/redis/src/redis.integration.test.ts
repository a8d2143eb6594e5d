import { createRedis, type Redis } from '@sunsu/redis';
import { infra, uniqueName } from '@sunsu/testkit';

describe('Redis (real server)', () => {
  let redis: Redis;
  const prefix = uniqueName('it-redis');

  beforeAll(() => {
    redis = createRedis(infra().CHAT_REDIS_URL);
  });
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}:*`); // test-only cleanup of this test's own prefix
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  it('round-trips strings, counters, hashes and a Lua script', async () => {
    await redis.set(`${prefix}:greeting`, '안녕하세요 👋');
    expect(await redis.get(`${prefix}:greeting`)).toBe('안녕하세요 👋');

    expect(await redis.incr(`${prefix}:seq`)).toBe(1);
    expect(await redis.incr(`${prefix}:seq`)).toBe(2);

    await redis.hset(`${prefix}:meta`, { lastMessage: 'hi', lastSequenceId: '2' });
    expect(await redis.hgetall(`${prefix}:meta`)).toEqual({ lastMessage: 'hi', lastSequenceId: '2' });

    // Monotonic max, the shape later used for last-read positions.
    const maxScript = `local c = tonumber(redis.call('GET', KEYS[1]) or '0')
      if tonumber(ARGV[1]) > c then redis.call('SET', KEYS[1], ARGV[1]) return tonumber(ARGV[1]) end return c`;
    expect(await redis.eval(maxScript, 1, `${prefix}:max`, '5')).toBe(5);
    expect(await redis.eval(maxScript, 1, `${prefix}:max`, '3')).toBe(5);
  });

  it('delivers pub/sub messages between two connections', async () => {
    const sub = redis.duplicate();
    const channel = `${prefix}:chan`;
    const received = new Promise<string>((resolve) => sub.on('message', (_c: string, m: string) => resolve(m)));
    await sub.subscribe(channel);
    await redis.publish(channel, 'ping');
    await expect(received).resolves.toBe('ping');
    sub.disconnect();
  });
});
