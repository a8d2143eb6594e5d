import { createRedis, execOrThrow, PipelineError, type Redis } from '@sunsu/redis';
import { infra, uniqueName } from '@sunsu/testkit';

/** A per-command error (here WRONGTYPE; OOM and READONLY arrive the same way) fails the whole operation. */
describe('execOrThrow (real server)', () => {
  let redis: Redis;
  const prefix = uniqueName('it-exec');
  const text = `${prefix}:text`;

  beforeAll(async () => {
    redis = createRedis(infra().CHAT_REDIS_URL);
    await redis.set(text, 'a string, not a sorted set');
  });
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}:*`); // test-only cleanup of this test's own prefix
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  it('answers every command result when all succeeded', async () => {
    const results = await execOrThrow(redis.pipeline().zadd(`${prefix}:z`, 1, 'a').zadd(`${prefix}:z`, 2, 'b').zrange(`${prefix}:z`, '0', '-1'));
    expect(results).toEqual([1, 1, ['a', 'b']]);
    expect(await execOrThrow(redis.pipeline())).toEqual([]);
  });

  it('throws when one command of a pipeline fails, where exec() alone resolves', async () => {
    const build = () => redis.pipeline().zadd(`${prefix}:ok`, 1, 'a').zadd(text, 1, 'a').zadd(`${prefix}:ok2`, 1, 'a');
    // What callers saw before: a resolved exec() with the error hidden in a result tuple.
    const raw = await build().exec();
    expect(raw?.[1]?.[0]?.message).toMatch(/WRONGTYPE/);

    const err = await execOrThrow(build()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PipelineError);
    expect((err as PipelineError).index).toBe(1);
    expect((err as PipelineError).message).toMatch(/command 2 of 3 failed: WRONGTYPE/);
    expect(((err as PipelineError).cause as Error).message).toMatch(/WRONGTYPE/);
  });

  it('throws when one command of a MULTI fails at run time', async () => {
    await expect(execOrThrow(redis.multi().zadd(`${prefix}:m`, 1, 'a').zadd(text, 1, 'a'))).rejects.toThrow(/command 2 of 2 failed: WRONGTYPE/);
  });
});
