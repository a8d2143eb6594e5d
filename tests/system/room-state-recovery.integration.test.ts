import { redisKeys, type ChatRoomSummary } from '@sunsu/contracts';
import { createRedis, type Redis } from '@sunsu/redis';
import {
  api,
  connectStomp,
  createDirectRoom,
  historyAfter,
  infra,
  randomUserId,
  startPlatform,
  tokenFor,
  waitFor,
  type Platform,
  type RunningService,
  type TestStompClient,
} from '@sunsu/testkit';

interface ListPage {
  data: ChatRoomSummary[];
}

/**
 * Redis loses everything (FLUSHALL) after the syncer flushed: the room list (order, previews, partners), unread
 * counts and read receipts are rebuilt from Postgres and the archive and show what they showed before; presence
 * comes back with the next ping; the syncer's own schedule (kept in Redis by BullMQ) is re-created, so later
 * changes still reach Postgres.
 */
describe('room state after Redis FLUSHALL', () => {
  let platform: Platform;
  let server: RunningService;
  let redis: Redis;
  const open: TestStompClient[] = [];

  beforeAll(async () => {
    platform = await startPlatform('it-recover', { syncer: true, syncerEnv: { CHAT_SYNC_INTERVAL_MS: '500' } });
    server = platform.chat[0]!;
    redis = createRedis(infra().CHAT_REDIS_URL);
  });
  afterAll(async () => {
    await Promise.allSettled(open.map((c) => c.close()));
    await platform?.stop();
    redis?.disconnect();
  });

  const drained = async () => {
    const sizes = await Promise.all([
      redis.scard(redisKeys.dirtyRoomMeta()),
      redis.scard(redisKeys.dirtyLastRead()),
      redis.scard(redisKeys.dirtyInFlight('room-meta')),
      redis.scard(redisKeys.dirtyInFlight('last-read')),
    ]);
    return sizes.every((n) => n === 0);
  };

  it('shows the same room list, unread counts and receipts, and presence returns with the next ping', async () => {
    const [a, b, c] = [randomUserId(), randomUserId(), randomUserId()];
    const [ta, tb, tc] = await Promise.all([tokenFor(a, 'Ari'), tokenFor(b, 'Bea', 'planner'), tokenFor(c, 'Cal')]);
    await api(server.url, tb, 'GET', '/api/chat/unread'); // B's profile from B's claims
    const ab = await createDirectRoom(server.url, ta, b);
    const cb = await createDirectRoom(server.url, tc, b);
    const alice = await connectStomp(server.url, ta);
    const carl = await connectStomp(server.url, tc);
    open.push(alice, carl);
    for (const text of ['one', 'two', 'three']) await alice.sendMessage(ab, text);
    await waitFor(async () => (await historyAfter(server.url, ta, ab)).length === 3, 10_000);

    // B opens the room (reads 1–3), leaves; two more arrive while B is away; then C writes in the other room.
    const bob = await connectStomp(server.url, tb);
    await bob.subscribe(`/topic/chat/rooms/${ab}`);
    await bob.send(`/app/presence/${ab}`, {});
    await waitFor(async () => (await historyAfter(server.url, ta, ab)).every((m) => m.readBy.includes(b)), 10_000);
    await bob.close();
    for (const text of ['four', 'five']) await alice.sendMessage(ab, text);
    // Persisted later than 'five' (messages persisted in the same millisecond tie, ordered by room code).
    await waitFor(async () => (await historyAfter(server.url, ta, ab)).length === 5, 10_000);
    await new Promise((r) => setTimeout(r, 5));
    await carl.sendMessage(cb, '사진 보내드릴게요');

    const list = async () => (await api<ListPage>(server.url, tb, 'GET', '/api/chat/rooms')).body.data;
    const unread = async () => (await api<{ data: unknown }>(server.url, tb, 'GET', '/api/chat/unread')).body.data;
    const receipts = async () => (await historyAfter(server.url, ta, ab)).map((m) => [m.sequenceId, [...m.readBy].sort()]);
    await waitFor(async () => (await list()).map((r) => [r.chatRoomCode, r.lastSequenceId, r.unreadCount]).join() === [cb, 1, 1, ab, 5, 2].join(), 10_000).catch(async (err) => {
      throw new Error(`${(err as Error).message}: ${JSON.stringify(await list())} expected ${cb} ${ab}`);
    });
    await waitFor(drained, 15_000);
    const before = { list: await list(), unread: await unread(), receipts: await receipts() };
    expect(before.unread).toEqual({ total: 3, rooms: { [ab]: 2, [cb]: 1 } });
    expect(before.list[1]).toMatchObject({ chatPartnerName: 'Ari', lastMessage: 'five', unreadCount: 2 });

    // Alice stays in the room (presence) through the loss.
    await alice.subscribe(`/topic/chat/rooms/${ab}`);
    await alice.send(`/app/presence/${ab}`, {});
    await redis.flushall();

    expect(await list()).toEqual(before.list);
    expect(await unread()).toEqual(before.unread);
    expect(await receipts()).toEqual(before.receipts);

    // Presence: Alice's next ping re-creates her record; Bob, arriving, learns she is online.
    await alice.send(`/app/presence/ping/${ab}`, {});
    const bob2 = await connectStomp(server.url, tb);
    open.push(bob2);
    await bob2.subscribe(`/topic/presence/${ab}/${a}`);
    await bob2.send(`/app/presence/${ab}`, {});
    await waitFor(() => (bob2.received.get(`/topic/presence/${ab}/${a}`) as { status: string }[] | undefined)?.some((p) => p.status === 'online'), 10_000);

    // Numbering continues, the list and unread move on, and the syncer (schedule re-created) flushes again.
    await carl.sendMessage(cb, 'after the loss');
    await waitFor(async () => (await list())[0]?.lastSequenceId === 2, 10_000);
    expect((await list())[0]).toMatchObject({ chatRoomCode: cb, lastMessage: 'after the loss', unreadCount: 2 });
    await waitFor(async () => (await redis.scard(redisKeys.dirtyRoomMeta())) + (await redis.scard(redisKeys.dirtyInFlight('room-meta'))) === 0, 15_000);
  }, 120_000);
});
