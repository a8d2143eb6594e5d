import { connectArchive, type ArchiveHandle } from '@sunsu/archive';
import { createRedis, type Redis } from '@sunsu/redis';
import {
  createDirectRoom,
  infra,
  randomUserId,
  FAST_SEND_LIMITS,
  ResilientRoomClient,
  startPlatform,
  tokenFor,
  waitFor,
  waitForPipeline,
  type Platform,
  type RunningService,
} from '@sunsu/testkit';

const TOTAL = 300;

/**
 * Redis loses everything (FLUSHALL) in the middle of a stream: the sequence counter is rebuilt from the highest
 * persisted sequence (after the pipeline drained), so numbering continues upwards and no (room, sequence) pair
 * is used twice; memberships are rebuilt from Postgres and the message flow resumes.
 */
describe('Redis FLUSHALL mid-stream', () => {
  let platform: Platform;
  let chatA: RunningService;
  let chatB: RunningService;
  let archive: ArchiveHandle;
  let redis: Redis;
  const clients: ResilientRoomClient[] = [];

  beforeAll(async () => {
    platform = await startPlatform('it-flush', { chatServers: 2, chatEnv: FAST_SEND_LIMITS });
    [chatA, chatB] = platform.chat as [RunningService, RunningService];
    archive = await connectArchive(infra().CHAT_MONGO_URL);
    redis = createRedis(infra().CHAT_REDIS_URL);
  });
  afterAll(async () => {
    await Promise.allSettled(clients.map((c) => c.stop()));
    await Promise.allSettled([platform?.stop(), archive?.close()]);
    redis?.disconnect();
  });

  it('keeps sequences unique and increasing across the loss', async () => {
    const u1 = randomUserId();
    const u2 = randomUserId();
    const t1 = await tokenFor(u1);
    const t2 = await tokenFor(u2);
    const room = await createDirectRoom(chatA.url, t1, u2);
    // Two senders on two processes: concurrent allocation after the loss must not collide.
    const a = new ResilientRoomClient([chatA.url], t1, room);
    const b = new ResilientRoomClient([chatB.url], t2, room);
    clients.push(a, b);
    await Promise.all([a.start(), b.start()]);

    const order: string[] = [];
    const sendAll = async (client: ResilientRoomClient, tag: string) => {
      for (let i = 0; i < TOTAL / 2; i++) {
        if (tag === 'a' && i === 75) await redis.flushall();
        order.push(await client.send(`${tag}${i}`));
      }
    };
    await Promise.all([sendAll(a, 'a'), sendAll(b, 'b')]);

    await waitFor(async () => (await archive.messages.countDocuments({ chatRoomCode: room })) === TOTAL, 60_000, 250);
    await waitForPipeline(); // a duplicate would be archived by now
    const docs = await archive.messages.find({ chatRoomCode: room }).lean();
    expect(docs).toHaveLength(TOTAL);
    const seqs = docs.map((d) => d.sequenceId);
    expect(new Set(seqs).size).toBe(TOTAL);
    // Each sender's own messages were numbered in the order it sent them (one at a time, after its receipt).
    for (const tag of ['a', 'b']) {
      const mine = docs.filter((d) => d.content.startsWith(tag)).sort((x, y) => Number(x.content.slice(1)) - Number(y.content.slice(1)));
      const mineSeqs = mine.map((d) => d.sequenceId);
      expect(mineSeqs).toEqual([...mineSeqs].sort((x, y) => x - y));
    }
    expect(await redis.exists(`chat:{${room}}:members`)).toBe(1); // rebuilt from Postgres
  }, 120_000);
});
