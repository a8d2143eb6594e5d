import { randomUUID } from 'node:crypto';
import { io, type Socket } from 'socket.io-client';
import {
  connectStomp,
  createDirectRoom,
  historyAfter,
  randomUserId,
  startService,
  tokenFor,
  waitFor,
  type RunningService,
  type TestStompClient,
} from '@sunsu/testkit';

type Ack = { ok: true; sequenceId?: number } | { ok: false; error: { code: string; message: string } };
interface MessageEvent {
  roomCode: string;
  messageId: string;
  senderId: string;
  content: string;
  sequenceId: number;
}

/** A Socket.IO client as a browser would open it (websocket only, no reconnection so failures surface). */
function connectSocketIo(baseUrl: string, auth: Record<string, string>, query?: Record<string, string>): Promise<Socket> {
  const socket = io(baseUrl, { transports: ['websocket'], auth, ...(query ? { query } : {}), reconnection: false, forceNew: true, timeout: 10_000 });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (err) => {
      socket.close();
      reject(err);
    });
  });
}

const emit = (socket: Socket, event: string, payload?: unknown): Promise<Ack> => socket.timeout(10_000).emitWithAck(event, payload) as Promise<Ack>;

/**
 * Socket.IO at /socket.io/ on a real chat-server process (real Redis, Kafka, Postgres, FerretDB, dispatcher),
 * side by side with a raw-WebSocket STOMP user in the same room.
 */
describe('Socket.IO endpoint /socket.io/', () => {
  let chat: RunningService;
  let dispatcher: RunningService;
  const stompUser = randomUserId();
  const sioUser = randomUserId();
  let stompToken: string;
  let sioToken: string;
  let room: string;
  let stomp: TestStompClient;
  let sio: Socket;
  const sockets: Socket[] = [];
  const sioMessages: MessageEvent[] = [];

  beforeAll(async () => {
    [chat, dispatcher] = await Promise.all([
      startService('chat-server', 'it-sio-chat', { CHAT_STOMP_SEND_RATE: '5000', CHAT_STOMP_SEND_BURST: '5000' }),
      startService('dispatcher', 'it-sio-dispatcher'),
    ]);
    stompToken = await tokenFor(stompUser, 'Stomp user', 'couple');
    sioToken = await tokenFor(sioUser, 'Socket.IO user', 'planner');
    room = await createDirectRoom(chat.url, stompToken, sioUser);
    stomp = await connectStomp(chat.url, stompToken);
    sio = await connectSocketIo(chat.url, { token: sioToken });
    sockets.push(sio);
    sio.on('message', (m: MessageEvent) => sioMessages.push(m));
  }, 60_000);

  afterAll(async () => {
    for (const s of sockets) s.close();
    await Promise.allSettled([stomp?.close()]);
    await Promise.allSettled([chat?.stop(), dispatcher?.stop()]);
  });

  it('exchanges messages both ways with a STOMP user: each once, in sequence order, acks carry the sequence', async () => {
    const topic = `/topic/chat/rooms/${room}`;
    await stomp.subscribe(topic);
    expect(await emit(sio, 'room:subscribe', { roomCode: room })).toEqual({ ok: true });

    const sent: string[] = [];
    const ackedSequence = new Map<string, number>();
    for (let i = 0; i < 10; i++) {
      if (i % 2 === 0) {
        sent.push(await stomp.sendMessage(room, `stomp ${i}`));
      } else {
        const messageId = randomUUID();
        const ack = await emit(sio, 'message:send', { roomCode: room, messageId, content: `socket.io ${i}`, messageType: 'TEXT' });
        expect(ack).toEqual({ ok: true, sequenceId: expect.any(Number) });
        if (ack.ok) ackedSequence.set(messageId, ack.sequenceId!);
        sent.push(messageId);
      }
    }

    await waitFor(() => sioMessages.length >= 10 && (stomp.received.get(topic)?.length ?? 0) >= 10, 20_000);
    await new Promise((r) => setTimeout(r, 500)); // nothing more may arrive
    const stompGot = stomp.received.get(topic) as MessageEvent[];
    for (const got of [sioMessages, stompGot]) {
      expect(got.map((m) => m.messageId)).toEqual(sent);
      expect(got.map((m) => m.sequenceId)).toEqual(got.map((_, i) => got[0]!.sequenceId + i));
    }
    expect(sioMessages.every((m) => m.roomCode === room)).toBe(true);
    expect(sioMessages.map((m) => m.senderId)).toEqual(sent.map((_, i) => (i % 2 === 0 ? stompUser : sioUser)));
    for (const [messageId, sequenceId] of ackedSequence) expect(stompGot.find((m) => m.messageId === messageId)?.sequenceId).toBe(sequenceId);
    expect((await historyAfter(chat.url, stompToken, room)).map((m) => m.messageId)).toEqual(sent);
  }, 60_000);

  it('room:enter subscribes too; typing from the STOMP user arrives as a typing event with roomCode', async () => {
    const second = await connectSocketIo(chat.url, { token: `Bearer ${sioToken}` });
    sockets.push(second);
    const typing: unknown[] = [];
    second.on('typing', (t: unknown) => typing.push(t));
    expect(await emit(second, 'room:enter', { roomCode: room })).toEqual({ ok: true });
    expect(await emit(second, 'presence:ping', { roomCode: room })).toEqual({ ok: true });
    expect(await emit(second, 'room:read', { roomCode: room, sequenceId: 1 })).toEqual({ ok: true });

    await stomp.send(`/app/chat/rooms/${room}/typing`, { typing: true });
    await waitFor(() => typing.length >= 1, 10_000);
    expect(typing).toEqual([{ roomCode: room, userId: stompUser, typing: true }]);
    second.close();
  }, 60_000);

  it('accepts the token as the access_token query parameter', async () => {
    const viaQuery = await connectSocketIo(chat.url, {}, { access_token: sioToken });
    sockets.push(viaQuery);
    expect(await emit(viaQuery, 'room:subscribe', { roomCode: room })).toEqual({ ok: true });
    viaQuery.close();
  }, 60_000);

  it.each([
    ['a missing token', async () => ({}), /authentication failed: missing token/],
    ['an expired token', async () => ({ token: await tokenFor(sioUser, 'x', 'planner', -60) }), /authentication failed: token expired/],
    ['a forged token', async () => ({ token: (await tokenFor(sioUser)).slice(0, -4) + 'AAAA' }), /authentication failed: invalid token/],
  ])('refuses %s with connect_error and a readable message', async (_name, auth, message) => {
    const err = await connectSocketIo(chat.url, await auth()).then(
      () => undefined,
      (e: Error & { data?: { code?: string } }) => e,
    );
    expect(err?.message).toMatch(message);
    expect(err?.data).toEqual({ code: 'UNAUTHENTICATED' });
  }, 60_000);

  it('answers a non-member with FORBIDDEN and keeps that socket usable', async () => {
    const strangerId = randomUserId();
    const strangerToken = await tokenFor(strangerId, 'Stranger');
    const stranger = await connectSocketIo(chat.url, { token: strangerToken });
    sockets.push(stranger);
    const leaked: unknown[] = [];
    stranger.on('message', (m: unknown) => leaked.push(m));

    const refused = { ok: false, error: { code: 'FORBIDDEN', message: expect.any(String) } };
    expect(await emit(stranger, 'room:subscribe', { roomCode: room })).toEqual(refused);
    expect(await emit(stranger, 'message:send', { roomCode: room, messageId: randomUUID(), content: 'intrusion', messageType: 'TEXT' })).toEqual(refused);
    expect(await emit(stranger, 'typing', { roomCode: room, typing: true })).toEqual(refused);

    // Same socket, its own room: works.
    const own = await createDirectRoom(chat.url, strangerToken, randomUserId());
    expect(await emit(stranger, 'room:subscribe', { roomCode: own })).toEqual({ ok: true });
    expect(await emit(stranger, 'message:send', { roomCode: own, messageId: randomUUID(), content: 'mine', messageType: 'TEXT' })).toEqual({ ok: true, sequenceId: 1 });
    await waitFor(() => leaked.length >= 1, 10_000);
    expect(leaked).toEqual([expect.objectContaining({ roomCode: own, content: 'mine' })]);
    expect((await historyAfter(chat.url, stompToken, room)).some((m) => m.content === 'intrusion')).toBe(false);
    stranger.close();
  }, 60_000);

  it('answers invalid payloads with BAD_REQUEST and stays connected', async () => {
    for (const [event, payload] of [
      ['message:send', { roomCode: room, messageId: randomUUID(), content: '   ', messageType: 'TEXT' }],
      ['message:send', { messageId: randomUUID(), content: 'no room' }],
      ['message:send', 'just a string'],
      ['room:subscribe', { roomCode: '../../etc' }],
      ['room:read', { roomCode: room, sequenceId: -3 }],
      ['typing', { roomCode: room, typing: 'maybe' }],
      ['room:enter', undefined],
    ] as const) {
      expect([event, await emit(sio, event, payload)]).toEqual([event, { ok: false, error: { code: 'BAD_REQUEST', message: expect.any(String) } }]);
    }
    expect(await emit(sio, 'room:leave', { roomCode: room })).toMatchObject({ ok: false, error: { code: 'UNKNOWN_EVENT' } });
    expect(sio.connected).toBe(true);
    expect(await emit(sio, 'message:send', { roomCode: room, messageId: randomUUID(), content: 'still here', messageType: 'TEXT' })).toMatchObject({ ok: true });
    await waitFor(() => sioMessages.some((m) => m.content === 'still here'), 10_000);
  }, 60_000);
});
