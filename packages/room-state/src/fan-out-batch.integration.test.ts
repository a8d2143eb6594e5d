import { redisKeys } from '@sunsu/contracts';
import { createRedis, type Redis } from '@sunsu/redis';
import { infra, uniqueName } from '@sunsu/testkit';
import { FanOutBatchStore, type RoomBatchInput } from './fan-out-batch.ts';
import { RoomMembers } from './members.ts';
import { ReadStateStore } from './read-state.ts';

/** The fan-out's per-batch room state against a real Redis: one script per room, then one pipeline. */
describe('FanOutBatchStore (real Redis)', () => {
  const prefix = `${uniqueName('it-fanout-batch')}:`;
  let redis: Redis;
  /** What the "system of record" holds for rooms whose Redis state is lost. */
  const stored = { participants: new Map<string, string[]>(), lastReads: new Map<string, Map<string, number>>() };
  let store: FanOutBatchStore;
  const room = 'room-a';
  const at = (seq: number) => new Date(1_700_000_000_000 + seq * 1000).toISOString();
  const batch = (roomCode: string, senders: [string, number][]): RoomBatchInput => {
    const newest = Math.max(...senders.map(([, s]) => s));
    return { roomCode, senders: new Map(senders), newest: { sequenceId: newest, preview: `m${newest}`, messageType: 'TEXT', createdAt: at(newest) } };
  };

  beforeAll(async () => {
    // Own key prefix: the dirty sets are global keys no syncer of another test may take.
    redis = createRedis(infra().CHAT_REDIS_URL, { keyPrefix: prefix });
    const reads = new ReadStateStore(redis, { lastReads: async (r) => stored.lastReads.get(r) ?? new Map(), meta: async () => null });
    const members = new RoomMembers(redis, async (r) => stored.participants.get(r) ?? []);
    store = new FanOutBatchStore(redis, { reads, members });
    stored.participants.set(room, ['1', '2', '3']);
    stored.participants.set('room-b', ['1', '4']);
    await members.remember(room, ['1', '2', '3']);
  });
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`); // test-only cleanup of this test's own prefix
    if (keys.length) await redis.del(...keys.map((k) => k.slice(prefix.length)));
    redis.disconnect();
  });

  it('moves meta, senders, present users and room lists; answers routes, presence, moved and all last-reads', async () => {
    const now = Date.now();
    await redis.zadd(redisKeys.roomRoutes(room), now + 60_000, 'server-1', now - 1, 'server-dead');
    await redis.zadd(redisKeys.roomPresence(room), now + 60_000, '2|conn-a|server-1', now + 60_000, '2|conn-b|server-1', now - 1, '3|conn-c|server-1');
    const outcomes = await store.apply([batch(room, [['1', 4], ['1', 5]])], now);
    const o = outcomes.get(room)!;
    expect(o.servers).toEqual(['server-1']);
    expect(await redis.zrange(redisKeys.roomRoutes(room), '0', '-1')).toEqual(['server-1']); // the expired route is pruned
    expect(o.present).toEqual(['2']); // one user for two connections; user 3's entry expired
    expect(o.moved.sort((a, b) => a.userId.localeCompare(b.userId))).toEqual([
      { userId: '1', sequenceId: 5 },
      { userId: '2', sequenceId: 5 },
    ]);
    expect(o.lastReads).toEqual(new Map<string, number>([['1', 5], ['2', 5]])); // user 3 has read nothing
    expect(await redis.hgetall(redisKeys.roomMeta(room))).toMatchObject({ lastSequenceId: '5', lastMessage: 'm5', lastMessageAt: at(5) });
    for (const user of ['1', '2', '3']) expect(await redis.zscore(redisKeys.userRooms(user), room)).toBe(String(Date.parse(at(5))));
    expect(await redis.sismember(redisKeys.dirtyRoomMeta(), room)).toBe(1);
    expect((await redis.smembers(redisKeys.dirtyLastRead())).sort()).toEqual([`${room}|1`, `${room}|2`]);
  });

  it('a redelivered batch moves nothing but marks again (a crash between the two round trips); an older one marks nothing', async () => {
    await redis.del(redisKeys.dirtyRoomMeta(), redisKeys.dirtyLastRead()); // the marks that never happened
    const again = (await store.apply([batch(room, [['1', 5]])])).get(room)!;
    expect(again.moved).toEqual([]);
    expect(await redis.sismember(redisKeys.dirtyRoomMeta(), room)).toBe(1);
    expect(await redis.sismember(redisKeys.dirtyLastRead(), `${room}|1`)).toBe(1);

    await redis.del(redisKeys.dirtyRoomMeta(), redisKeys.dirtyLastRead());
    const older = (await store.apply([batch(room, [['3', 2]])])).get(room)!;
    expect(older.moved).toEqual([{ userId: '3', sequenceId: 2 }]); // user 3 had read nothing yet
    expect(await redis.hget(redisKeys.roomMeta(room), 'lastSequenceId')).toBe('5'); // never moves back
    expect(await redis.sismember(redisKeys.dirtyRoomMeta(), room)).toBe(0);
    for (const user of ['1', '2', '3']) expect(await redis.zscore(redisKeys.userRooms(user), room)).toBe(String(Date.parse(at(5)))); // GT: never down
  });

  it('rebuilds last-reads and members from the system of record when Redis lost them', async () => {
    stored.lastReads.set('room-b', new Map([['4', 9]]));
    const o = (await store.apply([batch('room-b', [['1', 10]])])).get('room-b')!;
    expect(o.lastReads).toEqual(new Map([['1', 10], ['4', 9]]));
    expect((await redis.smembers(redisKeys.roomMembers('room-b'))).sort()).toEqual(['1', '4']);
    expect(await redis.zscore(redisKeys.userRooms('4'), 'room-b')).toBe(String(Date.parse(at(10))));
    expect(o.servers).toEqual([]);
  });

  it('handles many rooms of one batch independently', async () => {
    const rooms = Array.from({ length: 50 }, (_, i) => `many-${i}`);
    for (const r of rooms) stored.participants.set(r, ['7', '8']);
    const outcomes = await store.apply(rooms.map((r, i) => batch(r, [['7', i + 1]])));
    expect(outcomes.size).toBe(50);
    rooms.forEach((r, i) => expect(outcomes.get(r)!.lastReads.get('7')).toBe(i + 1));
    expect(await redis.zcard(redisKeys.userRooms('8'))).toBe(50);
  });
});
