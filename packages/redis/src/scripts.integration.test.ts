import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createRedis, defineScripts, type Redis } from '@sunsu/redis';
import { infra, uniqueName } from '@sunsu/testkit';

/** Scripts from .lua files, called by SHA, survive the server forgetting them. */
describe('defineScripts (real server)', () => {
  let redis: Redis;
  const prefix = uniqueName('it-lua');
  // Monotonic max, with the test's name inside so the server has never seen this script (a fresh SHA).
  const file = pathToFileURL(join(mkdtempSync(join(tmpdir(), 'lua-')), 'max.lua'));
  writeFileSync(
    file,
    `-- ${prefix}
local c = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) > c then redis.call('SET', KEYS[1], ARGV[1]) return tonumber(ARGV[1]) end
return c`,
  );

  beforeAll(() => {
    redis = createRedis(infra().CHAT_REDIS_URL);
  });
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}:*`); // test-only cleanup of this test's own prefix
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  const evalshaCalls = async () => Number(/cmdstat_evalsha:calls=(\d+)/.exec(await redis.info('commandstats'))?.[1] ?? 0);

  it('runs the file by SHA, and reloads it after SCRIPT FLUSH (NOSCRIPT fallback)', async () => {
    const { max } = defineScripts(redis, { max: { file, keys: 1 } });
    const key = `${prefix}:max`;
    expect(await max([key], ['5'])).toBe(5); // first call on this connection: EVAL, which loads it
    const before = await evalshaCalls();
    expect(await max([key], ['3'])).toBe(5);
    expect(await max([key], [7])).toBe(7);
    expect((await evalshaCalls()) - before).toBeGreaterThanOrEqual(2);

    // The server forgets every script (restart, failover): the next call still works.
    await redis.script('FLUSH');
    expect(await max([key], ['9'])).toBe(9);
    expect(await max([key], ['8'])).toBe(9);
  });

  it('defining again on the same connection is harmless, and the key count is enforced', async () => {
    const a = defineScripts(redis, { max: { file, keys: 1 } });
    const b = defineScripts(redis, { other: { file, keys: 1 } });
    expect(await a.max([`${prefix}:again`], ['2'])).toBe(2);
    expect(await b.other([`${prefix}:again`], ['1'])).toBe(2);
    await expect(a.max([], ['1'])).rejects.toThrow(/takes 1 keys, got 0/);
  });
});
