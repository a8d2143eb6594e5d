import type { ChatMessageRequested } from '@sunsu/contracts';
import type { RouteRegistry } from '@sunsu/routing';
import { createLogger } from '@sunsu/observability';
import { DeliveryHub } from '../delivery/hub.ts';
import type { Actor, RoomEventHandler } from '../domain/ports.ts';
import { DEFAULT_INBOUND_LIMITS } from '../limits/inbound.ts';
import { SocketIoConnection, type SocketIoConnectionDeps } from './socketio-connection.ts';
import type { ServerEvent } from './socketio-protocol.ts';

const ROOM = '3f2b8c1e-1d2a-4c5b-9e8f-0a1b2c3d4e5f';
const OTHER_ROOM = '9a9b8c1e-1d2a-4c5b-9e8f-0a1b2c3d4e5f';
const ME = { userId: '11', name: 'Me', role: 'couple' as const, avatarUrl: null };

/** Fakes for everything the connection talks to; the hub is the real one over a fake route registry. */
function setup(
  options: { rate?: number; burst?: number; maxPending?: number; maxSubscriptions?: number; publish?: (e: ChatMessageRequested) => Promise<void> } = {},
) {
  const published: ChatMessageRequested[] = [];
  const routeCalls: string[] = [];
  const routes = {
    register: async (_s: string, rooms: Iterable<string>) => void routeCalls.push(`register ${[...rooms].join(',')}`),
    unregister: async (_s: string, rooms: Iterable<string>) => void routeCalls.push(`unregister ${[...rooms].join(',')}`),
  } as unknown as RouteRegistry;
  const logger = createLogger('test', 'silent');
  const hub = new DeliveryHub('test-server', routes, logger);
  const participants = new Map<string, string[]>([
    [ROOM, ['11', '22', '33']],
    [OTHER_ROOM, ['22', '33']],
  ]);
  let next = 0;
  const roomEventCalls: string[] = [];
  const disconnected: Actor[] = [];
  const roomEvents: RoomEventHandler = {
    handle: async (kind, actor, roomCode, body) => void roomEventCalls.push(`${kind} ${actor.principal.userId} ${roomCode} ${JSON.stringify(body)}`),
    disconnected: (actor) => void disconnected.push(actor),
  };
  const deps: SocketIoConnectionDeps = {
    rooms: { participants: async (code) => participants.get(code) ?? null },
    hub,
    sendDeps: {
      rooms: { participants: async (code) => participants.get(code) ?? null },
      sequences: { allocate: async () => ({ sequenceId: ++next, duplicate: false }) },
      publisher: {
        publish: async (event) => {
          await options.publish?.(event);
          published.push(event);
        },
      },
      clock: { now: () => new Date('2024-05-01T00:00:00Z') },
    },
    roomEvents,
    logger,
    inbound: {
      ...DEFAULT_INBOUND_LIMITS,
      sendRatePerSecond: options.rate ?? 1000,
      sendBurst: options.burst ?? 1000,
      maxPending: options.maxPending ?? 256,
      maxSubscriptions: options.maxSubscriptions ?? 200,
    },
    outbound: { maxBufferedBytes: 10_000, ephemeralBufferedBytes: 1000 },
    onSlowConsumer: (info) => void slow.push(info.bufferedBytes),
  };
  const slow: number[] = [];
  const emitted: ServerEvent[] = [];
  const volatile: string[] = [];
  const wire = { buffered: 0, closed: 0 };
  const connection = new SocketIoConnection(deps, 'sock-1', ME, {
    emit: (e, isVolatile) => {
      emitted.push(e);
      if (isVolatile) volatile.push(e.event);
    },
    bufferedBytes: () => wire.buffered,
    closeTransport: () => void wire.closed++,
  });
  return { connection, hub, published, routeCalls, roomEventCalls, disconnected, emitted, volatile, wire, slow };
}

const send = (content: string, roomCode = ROOM) => ({ roomCode, messageId: `message-${content}`, content, messageType: 'TEXT' });
const message = (sequenceId: number) => ({
  kind: 'message' as const,
  roomCode: ROOM,
  message: { messageId: `m${sequenceId}`, senderId: '22', senderName: 'B', content: 'x', messageType: 'TEXT' as const, createdAt: '2024-05-01T00:00:00.000Z', sequenceId, readBy: [], fileUrl: null },
});

describe('SocketIoConnection', () => {
  let hubs: DeliveryHub[] = [];
  afterEach(async () => {
    await Promise.all(hubs.map((h) => h.close()));
    hubs = [];
  });
  const make = (options?: Parameters<typeof setup>[0]) => {
    const s = setup(options);
    hubs.push(s.hub);
    return s;
  };

  it('acknowledges a send with its sequence only after publishing, in the order the client emitted', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const { connection, published } = make({ publish: (e) => (e.content === 'first' ? gate : Promise.resolve()) });
    const first = connection.receive('message:send', send('first'));
    const second = connection.receive('message:send', send('second'));
    await new Promise((r) => setTimeout(r, 20));
    expect(published).toHaveLength(0); // the second waits behind the first
    release();
    expect(await first).toEqual({ ok: true, sequenceId: 1 });
    expect(await second).toEqual({ ok: true, sequenceId: 2 });
    expect(published.map((e) => [e.content, e.senderId, e.chatRoomCode])).toEqual([
      ['first', '11', ROOM],
      ['second', '11', ROOM],
    ]);
  });

  it('refuses non-members, unknown rooms and bad payloads without publishing', async () => {
    const { connection, published, roomEventCalls } = make();
    expect(await connection.receive('message:send', send('intrusion', OTHER_ROOM))).toEqual({ ok: false, error: { code: 'FORBIDDEN', message: 'not a participant of this room' } });
    expect(await connection.receive('room:subscribe', { roomCode: OTHER_ROOM })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(await connection.receive('typing', { roomCode: OTHER_ROOM, typing: true })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(await connection.receive('room:enter', { roomCode: '00000000-0000-0000-0000-000000000000' })).toMatchObject({ ok: false, error: { code: 'ROOM_NOT_FOUND' } });
    expect(await connection.receive('message:send', { roomCode: ROOM, messageId: 'abcdefgh', content: '   ' })).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST', message: expect.stringMatching(/blank/) } });
    expect(await connection.receive('room:read', { roomCode: ROOM, sequenceId: 'x' })).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    expect(await connection.receive('typing', 'nonsense')).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    expect(published).toHaveLength(0);
    expect(roomEventCalls).toHaveLength(0);
    // still usable afterwards
    expect(await connection.receive('message:send', send('fine'))).toEqual({ ok: true, sequenceId: 1 });
  });

  it('answers an unexpected failure with INTERNAL and no details', async () => {
    const { connection } = make({ publish: () => Promise.reject(new Error('broker 10.0.0.7 down')) });
    expect(await connection.receive('message:send', send('x'))).toEqual({ ok: false, error: { code: 'INTERNAL', message: 'internal error' } });
  });

  it('limits sends per connection with a token bucket', async () => {
    const { connection } = make({ rate: 0.001, burst: 2 });
    const acks = await Promise.all([1, 2, 3].map((i) => connection.receive('message:send', send(`m${i}`))));
    expect(acks.map((a) => (a.ok ? 'ok' : a.error.code))).toEqual(['ok', 'ok', 'RATE_LIMITED']);
    // other events are not counted
    expect(await connection.receive('typing', { roomCode: ROOM, typing: true })).toEqual({ ok: true });
  });

  it('passes room events to the handler with the actor and a clean body', async () => {
    const { connection, roomEventCalls } = make();
    expect(await connection.receive('presence:ping', { roomCode: ROOM, userId: '99' })).toEqual({ ok: true });
    expect(await connection.receive('room:read', { roomCode: ROOM, sequenceId: 5 })).toEqual({ ok: true });
    expect(await connection.receive('typing', { roomCode: ROOM, typing: true })).toEqual({ ok: true });
    expect(roomEventCalls).toEqual([`presence-ping 11 ${ROOM} {}`, `read 11 ${ROOM} {"sequenceId":5}`, `typing 11 ${ROOM} {"typing":true}`]);
  });

  it('room:enter subscribes to the room and the other participants’ presence, then announces presence', async () => {
    const { connection, hub, emitted, roomEventCalls, routeCalls } = make();
    expect(await connection.receive('room:enter', { roomCode: ROOM })).toEqual({ ok: true });
    expect(roomEventCalls).toEqual([`presence 11 ${ROOM} {}`]);
    // Every subscription re-asserts the route (it heals a registry Redis lost); only this room is registered.
    expect(new Set(routeCalls)).toEqual(new Set([`register ${ROOM}`]));
    hub.dispatch([
      message(1),
      { kind: 'read', roomCode: ROOM, userId: '22', lastReadSequenceId: 1 },
      { kind: 'typing', roomCode: ROOM, userId: '22', typing: true },
      { kind: 'presence', roomCode: ROOM, userId: '22', status: 'online' },
      { kind: 'presence', roomCode: ROOM, userId: '33', status: 'offline' },
      { kind: 'presence', roomCode: ROOM, userId: '11', status: 'online' }, // own presence: not subscribed
    ]);
    expect(emitted.map((e) => `${e.event} ${e.payload.roomCode}`)).toEqual([
      `message ${ROOM}`,
      `read ${ROOM}`,
      `typing ${ROOM}`,
      `presence ${ROOM}`,
      `presence ${ROOM}`,
    ]);
    expect(emitted[0]!.payload).toMatchObject({ messageId: 'm1', sequenceId: 1, roomCode: ROOM });
  });

  it('subscribing twice still delivers each push once', async () => {
    const { connection, hub, emitted } = make();
    await connection.receive('room:subscribe', { roomCode: ROOM });
    await connection.receive('room:subscribe', { roomCode: ROOM });
    await connection.receive('room:enter', { roomCode: ROOM });
    hub.dispatch([message(1), { kind: 'typing', roomCode: ROOM, userId: '22', typing: false }]);
    expect(emitted.map((e) => e.event)).toEqual(['message', 'typing']);
  });

  it('on close removes every registration, reports the disconnect once, and refuses further events', async () => {
    const { connection, hub, emitted, disconnected, routeCalls } = make();
    await connection.receive('room:enter', { roomCode: ROOM });
    connection.close();
    connection.close();
    expect(hub.localRooms()).toEqual([]);
    expect(new Set(routeCalls.slice(0, -1))).toEqual(new Set([`register ${ROOM}`]));
    expect(routeCalls.at(-1)).toBe(`unregister ${ROOM}`);
    expect(routeCalls.filter((c) => c.startsWith('unregister'))).toHaveLength(1);
    expect(disconnected).toMatchObject([{ principal: ME, connectionId: 'sock-1' }]);
    expect(disconnected[0]!.isOpen()).toBe(false);
    hub.dispatch([message(1)]);
    expect(emitted).toHaveLength(0);
    expect(await connection.receive('room:subscribe', { roomCode: ROOM })).toMatchObject({ ok: false, error: { code: 'UNAVAILABLE' } });
  });

  it('does not register a subscription that completes after the socket closed', async () => {
    const { connection, hub } = make();
    const pending = connection.receive('room:subscribe', { roomCode: ROOM });
    connection.close(); // before the membership lookup resolves
    await pending;
    expect(hub.localRooms()).toEqual([]);
  });

  it('emits typing and presence as volatile, drops them when the client is behind, and keeps messages', async () => {
    const { connection, hub, emitted, volatile, wire } = make();
    await connection.receive('room:enter', { roomCode: ROOM });
    hub.dispatch([{ kind: 'typing', roomCode: ROOM, userId: '22', typing: true }, message(1)]);
    expect(volatile).toEqual(['typing']);
    wire.buffered = 5000; // above the ephemeral threshold, below the budget
    hub.dispatch([{ kind: 'typing', roomCode: ROOM, userId: '22', typing: false }, { kind: 'presence', roomCode: ROOM, userId: '22', status: 'offline' }, message(2)]);
    expect(emitted.map((e) => e.event)).toEqual(['typing', 'message', 'message']);
    expect(wire.closed).toBe(0);
  });

  it('disconnects a slow consumer once past the outbound budget and unregisters it', async () => {
    const { connection, hub, emitted, wire, slow, disconnected } = make();
    await connection.receive('room:subscribe', { roomCode: ROOM });
    wire.buffered = 9_990; // the next push does not fit in 10,000 bytes
    hub.dispatch([message(1), message(2)]);
    expect(emitted).toHaveLength(0);
    expect(wire.closed).toBe(1);
    expect(slow).toEqual([9_990]);
    expect(hub.localRooms()).toEqual([]);
    expect(disconnected).toHaveLength(1);
  });

  it('caps subscriptions per connection', async () => {
    const { connection } = make({ maxSubscriptions: 4 });
    // room:subscribe takes three destinations (messages, reads, typing); room:enter adds two presence topics.
    expect(await connection.receive('room:subscribe', { roomCode: ROOM })).toEqual({ ok: true });
    expect(await connection.receive('room:enter', { roomCode: ROOM })).toMatchObject({ ok: false, error: { code: 'LIMIT_EXCEEDED' } });
  });

  it('closes a client that floods past the pending cap, after answering', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const { connection, wire } = make({ maxPending: 2, publish: () => gate });
    const acks = [1, 2, 3].map((i) => connection.receive('message:send', send(`m${i}`)));
    expect(await acks[2]).toMatchObject({ ok: false, error: { code: 'RATE_LIMITED' } });
    await new Promise((r) => setImmediate(r));
    expect(wire.closed).toBe(1);
    release();
    expect((await Promise.all(acks.slice(0, 2))).every((a) => a.ok)).toBe(true);
  });
});
