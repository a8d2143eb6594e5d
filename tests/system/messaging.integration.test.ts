import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
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

/**
 * The message path over real Redis, Kafka, FerretDB and Postgres with the real service processes: two
 * chat-server processes and a dispatcher.
 */
describe('messaging pipeline (real servers, real processes)', () => {
  let platform: Platform;
  let serverA: RunningService;
  let serverB: RunningService;
  const couple = randomUserId();
  const planner = randomUserId();
  let coupleToken: string;
  let plannerToken: string;
  let room: string;
  const clients: TestStompClient[] = [];

  beforeAll(async () => {
    platform = await startPlatform('it-msg', { chatServers: 2 });
    [serverA, serverB] = platform.chat as [RunningService, RunningService];
    coupleToken = await tokenFor(couple, 'Couple', 'couple');
    plannerToken = await tokenFor(planner, 'Planner', 'planner');
    room = await createDirectRoom(serverA.url, coupleToken, planner);
  }, 60_000);

  afterAll(async () => {
    await Promise.allSettled(clients.map((c) => c.close()));
    await platform?.stop();
  });

  it('maps a 1:1 pair to one room from either side', async () => {
    const again = await api<{ data: { chatRoomCode: string; alreadyExists: boolean } }>(serverB.url, plannerToken, 'POST', '/api/chat/rooms', { participantIds: [couple] });
    expect(again.body.data).toEqual({ chatRoomCode: room, alreadyExists: true });
  });

  it('delivers each message once, in sequence order, to users on different chat-server processes', async () => {
    const a = await connectStomp(serverA.url, coupleToken);
    const b = await connectStomp(serverB.url, plannerToken);
    clients.push(a, b);
    const topic = `/topic/chat/rooms/${room}`;
    await a.subscribe(topic);
    await b.subscribe(topic);

    const sent: string[] = [];
    for (let i = 0; i < 20; i++) sent.push(await (i % 2 === 0 ? a : b).sendMessage(room, `message ${i}`));

    for (const client of [a, b]) {
      await waitFor(() => (client.received.get(topic)?.length ?? 0) >= 20, 20_000);
    }
    await waitForPipeline(); // everything accepted was persisted and fanned out: nothing more can arrive
    for (const client of [a, b]) {
      const got = client.received.get(topic) as { messageId: string; sequenceId: number; readBy: string[]; createdAt: string }[];
      expect(got.map((m) => m.messageId)).toEqual(sent);
      const seqs = got.map((m) => m.sequenceId);
      expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
      expect(new Set(seqs).size).toBe(20);
      expect(got.every((m) => Array.isArray(m.readBy) && m.readBy.length >= 1)).toBe(true);
      expect(got[0]!.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/);
    }
    const history = await historyAfter(serverB.url, plannerToken, room);
    expect(history.map((m) => m.messageId)).toEqual(sent);
    expect(history.map((m) => m.sequenceId)).toEqual(history.map((_, i) => history[0]!.sequenceId + i));
  }, 60_000);

  it('treats a resent messageId as the same message', async () => {
    const a = clients[0]!;
    const before = (await historyAfter(serverA.url, coupleToken, room)).length;
    const id = randomUUID();
    await a.sendMessage(room, 'sent twice', id);
    await a.sendMessage(room, 'sent twice', id);
    await waitFor(async () => (await historyAfter(serverA.url, coupleToken, room)).length === before + 1, 10_000);
    await waitForPipeline();
    const history = await historyAfter(serverA.url, coupleToken, room);
    expect(history.filter((m) => m.messageId === id)).toHaveLength(1);
    const pushed = (a.received.get(`/topic/chat/rooms/${room}`) as { messageId: string }[]).filter((m) => m.messageId === id);
    expect(pushed).toHaveLength(1);
  }, 30_000);

  describe('bad input gets a clear error and harms nobody else', () => {
    /** Open a raw WebSocket STOMP connection and collect frames as text. */
    function rawSocket(url: string, protocols = ['v12.stomp']) {
      const ws = new WebSocket(url.replace(/^http/, 'ws') + '/stomp', protocols);
      const frames: string[] = [];
      ws.on('message', (d) => frames.push(d.toString()));
      const closed = new Promise<number>((r) => ws.on('close', (code) => r(code)));
      const open = new Promise<void>((r) => ws.on('open', () => r()));
      return { ws, frames, closed, open };
    }
    const connectFrame = (token: string) => `CONNECT\naccept-version:1.2\nhost:chat\nAuthorization:Bearer ${token}\nheart-beat:0,0\n\n\0`;
    const errorOf = (frames: string[]) => frames.find((f) => f.startsWith('ERROR'));

    async function expectError(frames: string[], closed: Promise<number>, message: RegExp, receiptId?: string) {
      await closed;
      const error = errorOf(frames);
      expect(error).toBeDefined();
      expect(error).toMatch(new RegExp(`message:.*${message.source}`));
      if (receiptId) expect(error).toContain(`receipt-id:${receiptId}`);
    }

    it.each([
      ['a malformed frame', 'this is not stomp\n\n\0', /malformed command line/],
      ['an unknown command', 'FLY\n\n\0', /unknown command/],
    ])('rejects %s before CONNECT', async (_name, frame, message) => {
      const s = rawSocket(serverA.url);
      await s.open;
      s.ws.send(frame);
      await expectError(s.frames, s.closed, message);
    });

    it('rejects a missing, expired and forged token', async () => {
      for (const [token, message] of [
        ['', /missing token/],
        [await tokenFor(couple, 'x', 'couple', -60), /token expired/],
        [(await tokenFor(couple)).slice(0, -4) + 'AAAA', /invalid token/],
      ] as const) {
        const s = rawSocket(serverA.url);
        await s.open;
        s.ws.send(token ? connectFrame(token) : 'CONNECT\naccept-version:1.2\n\n\0');
        await expectError(s.frames, s.closed, message);
      }
    });

    it.each([
      ['an unknown destination', '/app/nowhere', '{}', /unknown destination/],
      ['SEND to /topic', '/topic/chat/rooms/ROOM', '{}', /may not SEND to \/topic/],
      ['invalid JSON', '/app/chat/rooms/ROOM/messages', '{"messageId":', /not valid JSON/],
      ['a blank message', '/app/chat/rooms/ROOM/messages', JSON.stringify({ messageId: randomUUID(), content: '   ' }), /must not be blank/],
      ['an over-long message', '/app/chat/rooms/ROOM/messages', JSON.stringify({ messageId: randomUUID(), content: 'x'.repeat(1001) }), /limited to 1000/],
      ['a forged senderId', '/app/chat/rooms/ROOM/messages', JSON.stringify({ messageId: randomUUID(), content: 'hi', senderId: 1 }), /senderId does not match/],
    ])('answers %s with ERROR and its receipt-id, then closes', async (_name, destination, body, message) => {
      const s = rawSocket(serverA.url);
      await s.open;
      s.ws.send(connectFrame(coupleToken));
      await waitFor(() => s.frames.some((f) => f.startsWith('CONNECTED')));
      s.ws.send(`SEND\ndestination:${destination.replace('ROOM', room)}\nreceipt:r-42\n\n${body}\0`);
      await expectError(s.frames, s.closed, message, 'r-42');
    });

    it('answers an oversize frame with ERROR', async () => {
      const s = rawSocket(serverA.url);
      await s.open;
      s.ws.send(connectFrame(coupleToken));
      await waitFor(() => s.frames.some((f) => f.startsWith('CONNECTED')));
      s.ws.send(`SEND\ndestination:/app/chat/rooms/${room}/messages\n\n${'x'.repeat(70 * 1024)}\0`);
      const code = await s.closed;
      // The WebSocket payload limit (close 1009 "message too big") or the STOMP decoder (ERROR frame) rejects it.
      const error = errorOf(s.frames);
      expect(code === 1009 || /exceeds/.test(error ?? '')).toBe(true);
    });

    it('refuses SEND and SUBSCRIBE from a non-member', async () => {
      const stranger = await tokenFor(randomUserId(), 'Stranger');
      for (const frame of [
        `SUBSCRIBE\nid:0\ndestination:/topic/chat/rooms/${room}\nreceipt:r-1\n\n\0`,
        `SEND\ndestination:/app/chat/rooms/${room}/messages\nreceipt:r-1\n\n${JSON.stringify({ messageId: randomUUID(), content: 'intrusion' })}\0`,
      ]) {
        const s = rawSocket(serverB.url);
        await s.open;
        s.ws.send(connectFrame(stranger));
        await waitFor(() => s.frames.some((f) => f.startsWith('CONNECTED')));
        s.ws.send(frame);
        await expectError(s.frames, s.closed, /not a participant/, 'r-1');
      }
    });

    it('left the good connections working and stored nothing of the rejected frames', async () => {
      const [a, b] = clients as [TestStompClient, TestStompClient];
      const topic = `/topic/chat/rooms/${room}`;
      const before = b.received.get(topic)!.length;
      await a.sendMessage(room, 'still here');
      await waitFor(() => b.received.get(topic)!.length === before + 1, 10_000);
      const history = await historyAfter(serverA.url, coupleToken, room);
      expect(history.some((m) => m.content === 'intrusion' || m.content.startsWith('xxxx') || m.content === 'hi')).toBe(false);
    }, 30_000);

    it('answers REST errors with a JSON body and a 4xx status', async () => {
      expect(await api(serverA.url, undefined, 'GET', `/api/chat/messages/${room}`)).toMatchObject({ status: 401, body: { code: 'UNAUTHENTICATED' } });
      const stranger = await tokenFor(randomUserId());
      expect(await api(serverA.url, stranger, 'GET', `/api/chat/messages/${room}`)).toMatchObject({ status: 403, body: { code: 'FORBIDDEN' } });
      expect(await api(serverA.url, coupleToken, 'GET', `/api/chat/messages/${randomUUID()}`)).toMatchObject({ status: 404, body: { code: 'ROOM_NOT_FOUND' } });
      expect(await api(serverA.url, coupleToken, 'GET', `/api/chat/messages/${room}?size=1000`)).toMatchObject({ status: 400, body: { code: 'BAD_REQUEST' } });
      expect(await api(serverA.url, coupleToken, 'POST', '/api/chat/rooms', '{"plannerId":')).toMatchObject({ status: 400 });
      expect(await api(serverA.url, coupleToken, 'POST', '/api/chat/rooms', { plannerId: couple })).toMatchObject({ status: 400 });
    });
  });
});
