import { redisKeys } from '@sunsu/contracts';
import { createRedis, type Redis } from '@sunsu/redis';
import { infra, uniqueName } from '@sunsu/testkit';
import { ReadStateStore } from './read-state.ts';

/**
 * The Lua update and the dirty mark are two commands (the dirty sets live in another cluster slot). A process that
 * dies between them left the change in Redis without a mark, and the retry saw "nothing moved" and never marked
 * it: the change never reached Postgres. Every update at or above the current value marks, so the retry does.
 */
describe('ReadStateStore dirty marks (real Redis)', () => {
  const prefix = `${uniqueName('it-reads')}:`;
  let redis: Redis;
  let reads: ReadStateStore;
  const room = 'room-1';
  const update = (sequenceId: number) => ({ sequenceId, preview: `message ${sequenceId}`, messageType: 'TEXT' as const, createdAt: new Date(sequenceId * 1000).toISOString() });

  beforeAll(() => {
    // Own key prefix: dirty sets are global keys, and no syncer of another test may take this test's marks.
    redis = createRedis(infra().CHAT_REDIS_URL, { keyPrefix: prefix });
    reads = new ReadStateStore(redis);
  });
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`); // test-only cleanup of this test's own prefix (KEYS is not prefixed)
    if (keys.length) await redis.del(...keys.map((k) => k.slice(prefix.length))); // DEL adds the prefix back
    redis.disconnect();
  });

  const lastReadMarked = (user: string) => redis.sismember(redisKeys.dirtyLastRead(), `${room}|${user}`);
  const metaMarked = () => redis.sismember(redisKeys.dirtyRoomMeta(), room);

  it('a last-read retried after a crash between the script and the mark is marked again', async () => {
    expect(await reads.advanceLastRead(room, '11', 5)).toBe(true);
    expect(await lastReadMarked('11')).toBe(1);

    await redis.srem(redisKeys.dirtyLastRead(), `${room}|11`); // the SADD that never happened
    expect(await reads.advanceLastRead(room, '11', 5)).toBe(false); // the retry: nothing moves...
    expect(await lastReadMarked('11')).toBe(1); // ...but the mark is there

    // Behind the current value: nothing to write, no mark.
    await redis.srem(redisKeys.dirtyLastRead(), `${room}|11`);
    expect(await reads.advanceLastRead(room, '11', 4)).toBe(false);
    expect(await lastReadMarked('11')).toBe(0);
    expect((await reads.lastReads(room)).get('11')).toBe(5);
  });

  it('a room meta retried after a crash between the script and the mark is marked again', async () => {
    expect(await reads.advanceMeta(room, update(3))).toBe(true);
    expect(await metaMarked()).toBe(1);

    await redis.srem(redisKeys.dirtyRoomMeta(), room);
    expect(await reads.advanceMeta(room, update(3))).toBe(false);
    expect(await metaMarked()).toBe(1);

    await redis.srem(redisKeys.dirtyRoomMeta(), room);
    expect(await reads.advanceMeta(room, { ...update(2), preview: 'late' })).toBe(false);
    expect(await metaMarked()).toBe(0);
    expect(await reads.meta(room)).toEqual({ lastSequenceId: 3, lastMessage: 'message 3', lastMessageType: 'TEXT', lastMessageAt: update(3).createdAt });
  });
});
