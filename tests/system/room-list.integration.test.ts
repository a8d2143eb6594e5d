import { redisKeys, type ChatRoomSummary } from '@sunsu/contracts';
import { createRedis, type Redis } from '@sunsu/redis';
import {
  api,
  infra,
  connectStomp,
  createDirectRoom,
  randomUserId,
  startPlatform,
  tokenFor,
  waitFor,
  waitForPipeline,
  FAST_SEND_LIMITS,
  type Platform,
  type RunningService,
  type TestStompClient,
} from '@sunsu/testkit';

interface ListPage {
  data: ChatRoomSummary[];
  hasNext: boolean;
  nextCursor: string | null;
}

/**
 * The room list (GET /api/chat/rooms): ordered by latest message, partner profile, preview, unread count, and a
 * cursor that walks a snapshot, so rooms moving while a client pages are neither missed nor repeated.
 */
describe('room list', () => {
  let platform: Platform;
  let server: RunningService;
  let redis: Redis;
  const open: TestStompClient[] = [];

  beforeAll(async () => {
    redis = createRedis(infra().CHAT_REDIS_URL);
    platform = await startPlatform('it-rooms', { chatEnv: FAST_SEND_LIMITS });
    server = platform.chat[0]!;
  });
  afterAll(async () => {
    await Promise.allSettled(open.map((c) => c.close()));
    await platform?.stop();
    redis?.disconnect();
  });

  const list = async (token: string, query = '') => {
    const res = await api<ListPage>(server.url, token, 'GET', `/api/chat/rooms${query}`);
    expect(res.status).toBe(200);
    return res.body;
  };

  it('shows the partner, the preview and unread messages; opening the room reads them and tells the sender', async () => {
    const a = randomUserId();
    const b = randomUserId();
    const [ta, tb] = await Promise.all([tokenFor(a, 'Ada Couple'), tokenFor(b, 'Bo Planner', 'planner')]);
    await api(server.url, tb, 'GET', '/api/chat/unread'); // B signs in once: B's profile comes from B's claims
    const code = await createDirectRoom(server.url, ta, b);
    const sender = await connectStomp(server.url, ta);
    open.push(sender);
    await sender.subscribe(`/topic/chat/rooms/${code}/read`);
    for (const text of ['one', 'two', 'three']) await sender.sendMessage(code, text);

    await waitFor(async () => (await list(tb)).data[0]?.lastSequenceId === 3, 10_000);
    const [entry] = (await list(tb)).data;
    expect(entry).toMatchObject({
      chatRoomCode: code,
      chatPartnerId: a,
      chatPartnerName: 'Ada Couple',
      lastMessage: 'three',
      lastMessageType: 'TEXT',
      lastSequenceId: 3,
      unreadCount: 3,
    });
    expect(entry!.lastMessageAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/);
    expect(entry!.participants.map((p) => [p.userId, p.name]).sort()).toEqual([[a, 'Ada Couple'], [b, 'Bo Planner']].sort());
    expect((await list(ta)).data[0]).toMatchObject({ chatRoomCode: code, chatPartnerName: 'Bo Planner', unreadCount: 0 });

    const partner = await connectStomp(server.url, tb);
    open.push(partner);
    await partner.subscribe(`/topic/chat/rooms/${code}`);
    await partner.send(`/app/presence/${code}`, {});
    const reads = () => (sender.received.get(`/topic/chat/rooms/${code}/read`) ?? []) as { userId: string; lastReadSequenceId: number }[];
    await waitFor(() => reads().some((r) => r.userId === b && r.lastReadSequenceId === 3), 10_000);
    expect((await list(tb)).data[0]!.unreadCount).toBe(0);

    // While B is in the room, a new message is read at once.
    await sender.sendMessage(code, 'four');
    await waitFor(() => reads().some((r) => r.userId === b && r.lastReadSequenceId === 4), 10_000);
    const after = (await list(tb)).data[0]!;
    expect(after).toMatchObject({ lastMessage: 'four', lastSequenceId: 4, unreadCount: 0 });
  }, 60_000);

  it('counts unread as of the preview it shows while the archive is ahead of the room meta', async () => {
    const a = randomUserId();
    const b = randomUserId();
    const [ta, tb] = await Promise.all([tokenFor(a, 'Ahead Sender'), tokenFor(b, 'Lagging Reader')]);
    const code = await createDirectRoom(server.url, ta, b);
    const sender = await connectStomp(server.url, ta);
    open.push(sender);
    for (const text of ['one', 'two', 'three']) await sender.sendMessage(code, text);
    // Fanned out, not only archived: a list read before the fan-out hydrates the meta from the archive, and the
    // fan-out would then move the meta set below back up under the test.
    await waitForPipeline();
    await waitFor(async () => (await list(tb)).data[0]?.lastSequenceId === 3, 10_000);
    const newest = await redis.hgetall(redisKeys.roomMeta(code));

    // The fan-out moves the meta after the archive has the messages: put the meta back where it was after the
    // first message, as a reader between the two writes sees it (all three are archived).
    await redis.hset(redisKeys.roomMeta(code), { ...newest, lastSequenceId: '1', lastMessage: 'one' });
    const [entry] = (await list(tb)).data;
    expect(entry).toMatchObject({ chatRoomCode: code, lastMessage: 'one', lastSequenceId: 1, unreadCount: 1 });
    const unread = await api<{ data: { total: number; rooms: Record<string, number> } }>(server.url, tb, 'GET', '/api/chat/unread');
    expect(unread.body.data.rooms[code]).toBe(1);

    await redis.hset(redisKeys.roomMeta(code), newest);
    expect((await list(tb)).data[0]).toMatchObject({ lastMessage: 'three', lastSequenceId: 3, unreadCount: 3 });
  }, 60_000);

  it('pages 50 rooms by cursor while new messages reorder them: none missed, none repeated', async () => {
    const me = randomUserId();
    const token = await tokenFor(me, 'Many Rooms');
    const partners = Array.from({ length: 50 }, () => randomUserId());
    const codes: string[] = [];
    for (const p of partners) codes.push(await createDirectRoom(server.url, token, p));
    const client = await connectStomp(server.url, token);
    open.push(client);
    for (const code of codes) await client.sendMessage(code, `hello ${code}`);
    await waitFor(async () => (await list(token, '?size=50')).data.every((r) => r.lastSequenceId === 1), 15_000);
    // The order as of the walk's start (rooms of different Kafka partitions persist in any order).
    const expectedOrder = (await list(token, '?size=50')).data.map((r) => r.chatRoomCode);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: ListPage = await list(token, `?size=7${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      seen.push(...page.data.map((r) => r.chatRoomCode));
      cursor = page.nextCursor;
      expect(page.hasNext).toBe(cursor !== null);
      pages++;
      // Move a room that is still ahead of the walk and one already behind it to the top, and wait until the
      // live order shows the move before asking for the next page.
      const ahead = expectedOrder[Math.min(seen.length + 3, 49)]!;
      const behind = seen[0]!;
      for (const moved of [ahead, behind]) {
        await client.sendMessage(moved, `bump after page ${pages}`);
        await waitFor(async () => (await list(token, '?size=1')).data[0]?.chatRoomCode === moved, 10_000);
      }
    } while (cursor);
    expect(pages).toBe(8);
    expect(seen).toHaveLength(50);
    expect(new Set(seen).size).toBe(50);
    expect(seen).toEqual(expectedOrder); // the walk shows the order as of its first page

    // A fresh walk sees the new order: newest activity first, strictly by time then code.
    const fresh = await list(token, '?size=50');
    const times = fresh.data.map((r) => Date.parse(r.lastMessageAt));
    expect(times).toEqual([...times].sort((x, y) => y - x));
    expect(new Set(fresh.data.map((r) => r.chatRoomCode)).size).toBe(50);
  }, 120_000);

  it('does not reorder a room when the user opens it again, and rejects bad queries with a JSON error', async () => {
    const me = randomUserId();
    const token = await tokenFor(me, 'Reopener');
    const [p1, p2] = [randomUserId(), randomUserId()];
    const first = await createDirectRoom(server.url, token, p1);
    const client = await connectStomp(server.url, token);
    open.push(client);
    await client.sendMessage(first, 'older');
    const second = await createDirectRoom(server.url, token, p2);
    await client.sendMessage(second, 'newer');
    await waitFor(async () => (await list(token)).data.map((r) => r.chatRoomCode).join() === [second, first].join(), 10_000);
    const again = await api<{ data: { chatRoomCode: string; alreadyExists: boolean } }>(server.url, token, 'POST', '/api/chat/rooms', { plannerId: p1 });
    expect(again.body.data).toEqual({ chatRoomCode: first, alreadyExists: true });
    expect((await list(token)).data.map((r) => r.chatRoomCode)).toEqual([second, first]);

    for (const query of ['?size=0', '?size=101', '?cursor=not-a-cursor', '?size=abc']) {
      const res = await api<{ code: string; message: string }>(server.url, token, 'GET', `/api/chat/rooms${query}`);
      expect(res.status).toBe(400);
      expect(res.body.message).toEqual(expect.any(String));
    }
    expect((await api(server.url, undefined, 'GET', '/api/chat/rooms')).status).toBe(401);
  }, 60_000);

  it('lets only service tokens write profiles, and the list shows the new name and avatar', async () => {
    const me = randomUserId();
    const vendor = randomUserId();
    const token = await tokenFor(me, 'Profile Viewer');
    await createDirectRoom(server.url, token, vendor);
    const body = { name: 'Studio Lumière', avatarUrl: 'https://cdn.example.com/a.png', role: 'planner' };
    expect((await api(server.url, token, 'PUT', `/api/users/${vendor}`, body)).status).toBe(403);
    const service = await tokenFor('1', 'backoffice', 'service');
    expect((await api(server.url, service, 'PUT', `/api/users/${vendor}`, { ...body, name: '' })).status).toBe(400);
    expect((await api(server.url, service, 'PUT', `/api/users/${vendor}`, body)).status).toBe(200);
    const [entry] = (await list(token)).data;
    expect(entry).toMatchObject({ chatPartnerId: vendor, chatPartnerName: 'Studio Lumière', avatarUrl: 'https://cdn.example.com/a.png', lastMessage: '', lastMessageType: null, unreadCount: 0 });
  }, 60_000);
});
