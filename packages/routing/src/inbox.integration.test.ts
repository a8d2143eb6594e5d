import { redisKeys, type RoomPush } from '@sunsu/contracts';
import { createRedis, execOrThrow, type Redis } from '@sunsu/redis';
import { infra, uniqueName, waitFor } from '@sunsu/testkit';
import { BadInboxEntryError, InboxReader, InboxWriter } from './inbox.ts';

const typing = (roomCode: string, userId: string): RoomPush => ({ kind: 'typing', roomCode, userId, typing: true });

/** The instance inbox against real Redis: bad entries are skipped alone, a failed dispatch is retried, never lost. */
describe('InboxReader (real Redis)', () => {
  let redis: Redis;
  const readers: InboxReader[] = [];
  const servers: string[] = [];

  beforeAll(() => {
    redis = createRedis(infra().CHAT_REDIS_URL);
  });
  afterAll(async () => {
    await Promise.all(readers.map((r) => r.stop()));
    if (servers.length) await redis.del(...servers.map((s) => redisKeys.serverInbox(s)));
    redis.disconnect();
  });

  /** A running reader on a fresh inbox, with everything it dispatched and reported; resolves once it reads. */
  async function startReader(onPushes: (pushes: RoomPush[]) => void = () => undefined) {
    const serverId = uniqueName('it-inbox');
    servers.push(serverId);
    const reader = new InboxReader(redis, serverId, { retryDelayMs: 20 });
    readers.push(reader);
    const batches: RoomPush[][] = [];
    const errors: unknown[] = [];
    void reader.run(
      (pushes) => {
        onPushes(pushes);
        batches.push(pushes);
      },
      (err) => errors.push(err),
    );
    // The reader starts after the newest entry it finds: probe until it is reading, then forget the probes.
    const writer = new InboxWriter(redis);
    await waitFor(async () => {
      await writer.deliver(new Map([[serverId, [typing('probe', '0')]]]));
      return batches.length > 0;
    });
    await waitFor(() => batches.flat().every((p) => p.roomCode === 'probe') && errors.length === 0);
    batches.length = 0;
    return { serverId, reader, batches, errors, key: redisKeys.serverInbox(serverId) };
  }
  const delivered = (batches: RoomPush[][]) => batches.flat().filter((p) => p.roomCode !== 'probe');

  it('skips a bad entry and dispatches the other 499 of its batch, in order', async () => {
    const { reader, batches, errors, key } = await startReader();
    const bad = [
      ['p', '{not json'],
      ['x', JSON.stringify(typing('r', '1'))],
      ['p', JSON.stringify({ kind: 'message', roomCode: 'r' })],
    ];
    // One atomic append, so the reader finds the bad entries inside one batch of good ones.
    const multi = redis.multi();
    for (let i = 0; i < 500; i++) {
      const entry = i === 100 ? bad[0]! : i === 300 ? bad[1]! : i === 497 ? bad[2]! : ['p', JSON.stringify(typing('r', String(i)))];
      multi.xadd(key, '*', ...entry);
    }
    await execOrThrow(multi);
    await waitFor(() => delivered(batches).length >= 497);
    expect(delivered(batches).map((p) => (p as { userId: string }).userId)).toEqual(
      Array.from({ length: 500 }, (_, i) => String(i)).filter((i) => !['100', '300', '497'].includes(i)),
    );
    expect(reader.badEntries).toBe(3);
    expect(errors).toHaveLength(3);
    expect(errors.every((e) => e instanceof BadInboxEntryError)).toBe(true);
    expect(reader.healthy()).toBe(true);
  });

  it('delivers the same entries again when a dispatch throws, and skips none', async () => {
    let failNext = false;
    const { serverId, batches, errors } = await startReader((pushes) => {
      if (failNext && pushes.some((p) => p.roomCode === 'r')) {
        failNext = false;
        throw new Error('dispatch failed once');
      }
    });
    failNext = true;
    const writer = new InboxWriter(redis);
    const sent = Array.from({ length: 20 }, (_, i) => typing('r', String(i)));
    await writer.deliver(new Map([[serverId, sent]]));
    await waitFor(() => delivered(batches).length >= 20);
    expect(errors.map((e) => (e as Error).message)).toEqual(['dispatch failed once']);
    expect(delivered(batches)).toEqual(sent);
  });

  it('survives a failing start position, and stops without an unhandled rejection', async () => {
    const serverId = uniqueName('it-inbox');
    servers.push(serverId);
    const key = redisKeys.serverInbox(serverId);
    await redis.set(key, 'not a stream'); // XREVRANGE (the start position) and XREAD fail with WRONGTYPE
    const reader = new InboxReader(redis, serverId, { retryDelayMs: 20, stuckAfterMs: 200 });
    readers.push(reader);
    const errors: unknown[] = [];
    const received: RoomPush[] = [];
    const done = reader.run(
      (pushes) => {
        received.push(...pushes);
        throw new Error('dispatch bug');
      },
      (err) => {
        errors.push(err);
        // Failing on a dispatch: the reporter itself breaks, which stops the reader.
        if ((err as Error).message === 'dispatch bug') throw new Error('reporter broke');
      },
    );
    await waitFor(() => errors.length >= 2);
    expect(String(errors[0])).toMatch(/WRONGTYPE/);
    await waitFor(() => !reader.healthy()); // failing for longer than stuckAfterMs: readiness goes down

    await redis.del(key);
    await waitFor(() => reader.healthy(), 5000); // it found its start position and read once
    await new InboxWriter(redis).deliver(new Map([[serverId, [typing('r', '1')]]]));
    await expect(done).resolves.toBeUndefined(); // the fatal stop resolves run(); nothing is left unhandled
    expect(received).toEqual([typing('r', '1')]);
    expect(reader.healthy()).toBe(false);
    expect(String(reader.lastError)).toMatch(/reporter broke/);
  });
});
