import {
  api,
  connectStomp,
  createDirectRoom,
  historyAfter,
  randomUserId,
  startPlatform,
  tokenFor,
  waitFor,
  waitForPipeline,
  type Platform,
  type RunningService,
  type TestStompClient,
} from '@sunsu/testkit';

interface ReadEvent {
  userId: string;
  lastReadSequenceId: number;
}

/**
 * Read receipts: B is away while A sends; B opening the room (presence) marks everything read and A receives a
 * read event; while B is present, each new message is read at once (readBy includes B). Explicit reads only move
 * forward and never past the newest persisted message.
 */
describe('read receipts', () => {
  let platform: Platform;
  let s1: RunningService;
  let s2: RunningService;
  const open: TestStompClient[] = [];

  beforeAll(async () => {
    platform = await startPlatform('it-reads', { chatServers: 2 });
    [s1, s2] = platform.chat as [RunningService, RunningService];
  });
  afterAll(async () => {
    await Promise.allSettled(open.map((c) => c.close()));
    await platform?.stop();
  });

  async function room() {
    const a = randomUserId();
    const b = randomUserId();
    const [ta, tb] = await Promise.all([tokenFor(a, 'Couple'), tokenFor(b, 'Planner', 'planner')]);
    const code = await createDirectRoom(s1.url, ta, b);
    const sender = await connectStomp(s1.url, ta);
    open.push(sender);
    await sender.subscribe(`/topic/chat/rooms/${code}`);
    await sender.subscribe(`/topic/chat/rooms/${code}/read`);
    const reads = () => (sender.received.get(`/topic/chat/rooms/${code}/read`) ?? []) as ReadEvent[];
    return { a, b, ta, tb, code, sender, reads };
  }

  it('clears "1" markers when the partner opens the room, and marks new messages read while present', async () => {
    const { a, b, tb, code, sender, reads } = await room();
    for (const text of ['first', 'second', 'third']) await sender.sendMessage(code, text);
    await waitFor(async () => (await historyAfter(s1.url, tb, code)).length === 3, 10_000);
    expect((await historyAfter(s1.url, tb, code)).every((m) => m.readBy.join() === a)).toBe(true); // only the sender

    const partner = await connectStomp(s2.url, tb);
    open.push(partner);
    await partner.subscribe(`/topic/chat/rooms/${code}`);
    await partner.send(`/app/presence/${code}`, {});
    await waitFor(() => reads().some((r) => r.userId === b && r.lastReadSequenceId === 3), 10_000);
    expect((await historyAfter(s1.url, tb, code)).every((m) => m.readBy.includes(b))).toBe(true);

    await sender.sendMessage(code, 'fourth');
    const topic = `/topic/chat/rooms/${code}`;
    await waitFor(() => (sender.received.get(topic) as { sequenceId: number }[] | undefined)?.some((m) => m.sequenceId === 4), 10_000);
    const fourth = (sender.received.get(topic) as { sequenceId: number; readBy: string[] }[]).find((m) => m.sequenceId === 4)!;
    expect(fourth.readBy.sort()).toEqual([a, b].sort());
    await waitFor(() => reads().some((r) => r.userId === b && r.lastReadSequenceId === 4), 10_000);
  }, 60_000);

  it('counts unread messages per room and in total, and clears them when the user opens the room', async () => {
    const { tb, code, sender } = await room();
    const unread = async () => (await api<{ data: { total: number; rooms: Record<string, number> } }>(s2.url, tb, 'GET', '/api/chat/unread')).body.data;
    expect(await unread()).toEqual({ total: 0, rooms: { [code]: 0 } });
    for (const text of ['one', 'two', 'three']) await sender.sendMessage(code, text);
    await waitFor(async () => (await unread()).total === 3, 10_000);
    expect((await unread()).rooms[code]).toBe(3);
    const partner = await connectStomp(s2.url, tb);
    open.push(partner);
    await partner.send(`/app/presence/${code}`, {});
    expect(await unread()).toEqual({ total: 0, rooms: { [code]: 0 } });
    // The partner's own message never counts as unread for them.
    await partner.sendMessage(code, 'reply');
    await waitForPipeline(); // the reply is persisted and fanned out
    expect((await unread()).total).toBe(0);
  }, 60_000);

  it('moves last-read only forward and never past the newest persisted message', async () => {
    const { b, tb, code, sender, reads } = await room();
    for (const text of ['one', 'two', 'three']) await sender.sendMessage(code, text);
    await waitFor(async () => (await historyAfter(s1.url, tb, code)).length === 3, 10_000);
    const reader = await connectStomp(s2.url, tb);
    open.push(reader);
    await reader.send(`/app/chat/rooms/${code}/read`, { sequenceId: 2 });
    await waitFor(() => reads().some((r) => r.userId === b), 10_000);
    await reader.send(`/app/chat/rooms/${code}/read`, { sequenceId: 1 }); // backwards: ignored
    await reader.send(`/app/chat/rooms/${code}/read`, { sequenceId: 99 }); // beyond the newest: capped at 3
    // A read event is in the room's inboxes before its RECEIPT: once the last one arrived, none can follow.
    await waitFor(() => reads().filter((r) => r.userId === b).length >= 2, 10_000);
    expect(reads().filter((r) => r.userId === b).map((r) => r.lastReadSequenceId)).toEqual([2, 3]);
  }, 60_000);
});
