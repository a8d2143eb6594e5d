import { eq } from 'drizzle-orm';
import { redisKeys } from '@sunsu/contracts';
import { chatRoomParticipants, chatRooms, createDatabase, quarantine, runMigrations, syncQuarantine, writeLastReads, writeRoomMetas, type DatabaseHandle } from '@sunsu/db';
import { createLogger, createMetricsRegistry } from '@sunsu/observability';
import { createRedis, type Redis } from '@sunsu/redis';
import { ReadStateStore } from '@sunsu/room-state';
import { createTempDatabase, infra } from '@sunsu/testkit';
import { createSyncerMetrics } from '../metrics.ts';
import { DirtySet } from './dirty-set.ts';
import { StoreUnavailableError, flushOnce, retryDelayMs, type FlushDeps, type RecordWriter } from './flush.ts';

/**
 * The flush against real Redis and a real Postgres database. Redis database 7 keeps this file's dirty sets apart
 * from the platform's (database 0), so every count below is this test's alone.
 */
describe('flush of dirty room state to Postgres', () => {
  let redis: Redis;
  let temp: { url: string; drop(): Promise<void> };
  let pg: DatabaseHandle;
  let reads: ReadStateStore;
  let sets: FlushDeps['sets'];
  let writer: RecordWriter;
  const metrics = createSyncerMetrics(createMetricsRegistry('syncer-test'), async () => ({}));
  const logger = createLogger('syncer-test', 'silent');

  beforeAll(async () => {
    redis = createRedis(`${infra().CHAT_REDIS_URL}/7`);
    await redis.flushdb();
    temp = await createTempDatabase();
    pg = createDatabase(temp.url, { max: 2 });
    await runMigrations(pg.db);
    reads = new ReadStateStore(redis);
    sets = { 'room-meta': new DirtySet(redis, 'room-meta'), 'last-read': new DirtySet(redis, 'last-read') };
    writer = {
      writeRoomMetas: (rows) => writeRoomMetas(pg.db, rows),
      writeLastReads: (rows) => writeLastReads(pg.db, rows),
      quarantine: (entry) => quarantine(pg.db, entry),
    };
  });
  afterAll(async () => {
    await redis?.flushdb();
    redis?.disconnect();
    await pg?.close();
    await temp?.drop();
  });

  let n = 0;
  async function room(users = ['11', '12']) {
    const code = `room-${++n}-${Date.now()}`;
    await pg.db.insert(chatRooms).values({ code, kind: 'group' });
    await pg.db.insert(chatRoomParticipants).values(users.map((u) => ({ roomCode: code, userId: BigInt(u) })));
    return code;
  }
  const message = (seq: number, text = `message ${seq}`) => ({ sequenceId: seq, preview: text, messageType: 'TEXT' as const, createdAt: new Date(Date.UTC(2026, 10, 29, 6, 0, seq)).toISOString() });
  const deps = (extra: Partial<FlushDeps> = {}): FlushDeps => ({ redis, sets, writer, batchSize: 100, maxAttempts: 3, metrics, logger, ...extra });
  const stored = async (code: string) => (await pg.db.select().from(chatRooms).where(eq(chatRooms.code, code)))[0]!;
  const storedReads = async (code: string) =>
    Object.fromEntries((await pg.db.select().from(chatRoomParticipants).where(eq(chatRoomParticipants.roomCode, code))).map((r) => [r.userId.toString(), Number(r.lastReadSequenceId)]));
  const dirty = async () => ({ meta: await redis.smembers(redisKeys.dirtyRoomMeta()), reads: await redis.smembers(redisKeys.dirtyLastRead()) });

  it('writes room meta and last-read positions in batches and empties the dirty sets', async () => {
    const codes = await Promise.all([room(), room(), room()]);
    for (const [i, code] of codes.entries()) {
      await reads.advanceMeta(code, message(i + 1));
      await reads.advanceLastRead(code, '11', i + 1);
    }
    const result = await flushOnce(deps());
    expect(result).toMatchObject({ written: 6, failed: 0 });
    for (const [i, code] of codes.entries()) {
      expect(await stored(code)).toMatchObject({ lastMessage: `message ${i + 1}`, lastMessageType: 'TEXT', lastSequenceId: i + 1 });
      expect(await storedReads(code)).toEqual({ '11': i + 1, '12': 0 });
    }
    expect(await dirty()).toEqual({ meta: [], reads: [] });
  });

  it('stores a 1,000-character last message whole', async () => {
    const code = await room();
    const long = 'ㅋ'.repeat(1000);
    await reads.advanceMeta(code, message(1, long));
    expect(await flushOnce(deps())).toMatchObject({ written: 1, failed: 0 });
    expect((await stored(code)).lastMessage).toBe(long);
  });

  it('flushes a change that lands while the flush runs on the next run (no lost update)', async () => {
    const code = await room();
    await reads.advanceMeta(code, message(1));
    await reads.advanceLastRead(code, '12', 1);
    // Force the interleaving: after the run read its values and before it writes them, new changes land.
    const interleaved = async (kind: string) => {
      if (kind === 'room-meta') await reads.advanceMeta(code, message(2, 'written during the flush'));
      else await reads.advanceLastRead(code, '12', 2);
    };
    await flushOnce(deps({ afterRead: interleaved }));
    expect((await stored(code)).lastSequenceId).toBe(1);
    expect((await storedReads(code))['12']).toBe(1);
    expect(await dirty()).toEqual({ meta: [code], reads: [`${code}|12`] });

    await flushOnce(deps());
    expect(await stored(code)).toMatchObject({ lastSequenceId: 2, lastMessage: 'written during the flush' });
    expect((await storedReads(code))['12']).toBe(2);
    expect(await dirty()).toEqual({ meta: [], reads: [] });
  });

  it('never moves Postgres back: an older value and a value Redis lost write nothing', async () => {
    const code = await room();
    await reads.advanceMeta(code, message(5));
    await reads.advanceLastRead(code, '11', 5);
    await flushOnce(deps());
    // Redis lost the room's state (eviction) while the entries were dirty: no "0" reaches Postgres.
    await redis.del(redisKeys.roomMeta(code), redisKeys.roomLastRead(code));
    await redis.sadd(redisKeys.dirtyRoomMeta(), code);
    await redis.sadd(redisKeys.dirtyLastRead(), `${code}|11`);
    expect(await flushOnce(deps())).toMatchObject({ written: 0, withoutValue: 2 });
    // A stale value (e.g. Redis rebuilt from an old snapshot) is older than Postgres: ignored there.
    await reads.advanceMeta(code, message(3, 'stale'));
    await reads.advanceLastRead(code, '11', 3);
    await flushOnce(deps());
    expect(await stored(code)).toMatchObject({ lastSequenceId: 5, lastMessage: 'message 5' });
    expect((await storedReads(code))['11']).toBe(5);
  });

  it('retries a failing entry with backoff and quarantines it after the maximum attempts, without blocking the batch', async () => {
    const good = await room();
    const ghost = `ghost-${Date.now()}`; // dirty in Redis, but no such room in Postgres
    await reads.advanceMeta(ghost, message(1));
    await reads.advanceMeta(good, message(1));
    let clock = Date.now();
    const now = () => clock;

    expect(await flushOnce(deps({ now }))).toMatchObject({ written: 1, failed: 1, quarantined: 0 });
    expect((await stored(good)).lastSequenceId).toBe(1);
    expect(await redis.hget(redisKeys.dirtyAttempts('room-meta'), ghost)).toBe(`1|${clock + retryDelayMs(1)}`);

    // Within its backoff the entry waits; the rest keeps flowing.
    await reads.advanceMeta(good, message(2));
    expect(await flushOnce(deps({ now }))).toMatchObject({ written: 1, failed: 0, deferred: 1 });
    expect((await stored(good)).lastSequenceId).toBe(2);

    clock += retryDelayMs(1);
    expect(await flushOnce(deps({ now }))).toMatchObject({ failed: 1, quarantined: 0 });
    clock += retryDelayMs(2);
    expect(await flushOnce(deps({ now }))).toMatchObject({ failed: 1, quarantined: 1 });
    const [q] = await pg.db.select().from(syncQuarantine).where(eq(syncQuarantine.entry, ghost));
    expect(q).toMatchObject({ kind: 'room-meta', attempts: 3, reason: expect.stringContaining('no matching row') });
    expect(await dirty()).toEqual({ meta: [], reads: [] });
    expect(await redis.hget(redisKeys.dirtyAttempts('room-meta'), ghost)).toBeNull();
  });

  it('gives every entry back, uncharged, when Postgres is unreachable, and writes them once it is back', async () => {
    const code = await room();
    await reads.advanceMeta(code, message(1));
    await reads.advanceLastRead(code, '11', 1);
    const down = createDatabase('postgres://postgres@127.0.0.1:1/none', { max: 1 });
    const unreachable: RecordWriter = {
      writeRoomMetas: (rows) => writeRoomMetas(down.db, rows),
      writeLastReads: (rows) => writeLastReads(down.db, rows),
      quarantine: (entry) => quarantine(down.db, entry),
    };
    await expect(flushOnce(deps({ writer: unreachable }))).rejects.toBeInstanceOf(StoreUnavailableError);
    await down.close();
    expect((await dirty()).meta).toEqual([code]);
    expect(await redis.hlen(redisKeys.dirtyAttempts('room-meta'))).toBe(0);
    expect(await redis.scard(redisKeys.dirtyInFlight('room-meta'))).toBe(0);

    expect(await flushOnce(deps())).toMatchObject({ written: 2, failed: 0 });
    expect((await stored(code)).lastSequenceId).toBe(1);
  });

  it('finishes the entries a crashed run left in flight', async () => {
    const code = await room();
    await reads.advanceMeta(code, message(4));
    // A run took the entry and died before writing it.
    await sets['room-meta'].take(100);
    expect(await redis.smembers(redisKeys.dirtyRoomMeta())).toEqual([]);
    expect(await flushOnce(deps())).toMatchObject({ written: 1 });
    expect((await stored(code)).lastSequenceId).toBe(4);
    expect(await redis.scard(redisKeys.dirtyInFlight('room-meta'))).toBe(0);
  });
});
