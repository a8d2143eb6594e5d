import WebSocket from 'ws';
import { io } from 'socket.io-client';
import { encodeFrame } from '@sunsu/stomp';
import { redisKeys } from '@sunsu/contracts';
import { createRedis, type Redis } from '@sunsu/redis';
import { createDirectRoom, infra, metricBy, scrapeMetrics, randomUserId, startPlatform, tokenFor, waitFor, type Platform } from '@sunsu/testkit';

const ROOMS = 20;
const STOMP_CONNECTIONS = 2000;
const SOCKETIO_CONNECTIONS = 600;
const CONCURRENCY = 40;

/** Local registrations by kind and open connections by transport, as `metric:label`. */
async function scrape(url: string): Promise<Map<string, number>> {
  const samples = await scrapeMetrics(url);
  return new Map([
    ...Object.entries(metricBy(samples, 'chat_local_registrations', 'kind')).map(([k, v]) => [`chat_local_registrations:${k}`, v] as const),
    ...Object.entries(metricBy(samples, 'chat_connections', 'transport')).map(([k, v]) => [`chat_connections:${k}`, v] as const),
  ]);
}

/** Run `task` for 0..count-1 with at most `limit` in flight. */
async function pool(count: number, limit: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < count) await task(next++);
    }),
  );
}

/**
 * Connections that close in the middle of SUBSCRIBE, presence and room:enter (the membership check and the
 * presence write are still in flight) must leave nothing behind: no hub subscriber, no route to the room, no
 * presence. Thousands of such connections against the real chat-server, then every registry is checked.
 */
describe('connection churn leaves no registration behind (real servers)', () => {
  let platform: Platform;
  let redis: Redis;

  beforeAll(async () => {
    platform = await startPlatform('it-churn', { chatEnv: { CHAT_SUBSCRIBE_RATE: '1000', CHAT_SUBSCRIBE_BURST: '1000' } });
    redis = createRedis(infra().CHAT_REDIS_URL);
  }, 90_000);

  afterAll(async () => {
    redis?.disconnect();
    await platform?.stop();
  });

  it('opens and closes thousands of connections mid-SUBSCRIBE; the hub, the route registry and presence end empty', async () => {
    const server = platform.chat[0]!;
    const pairs = await Promise.all(
      Array.from({ length: ROOMS }, async () => {
        const couple = randomUserId();
        const planner = randomUserId();
        const token = await tokenFor(couple);
        return { couple, token, room: await createDirectRoom(server.url, token, planner) };
      }),
    );
    const wsUrl = `${server.url.replace(/^http/, 'ws')}/stomp`;

    await pool(STOMP_CONNECTIONS, CONCURRENCY, async (i) => {
      const { token, room } = pairs[i % ROOMS]!;
      const ws = new WebSocket(wsUrl, ['v12.stomp']);
      await new Promise((resolve) => ws.once('open', resolve).once('error', resolve));
      if (ws.readyState !== ws.OPEN) return;
      ws.send(encodeFrame({ command: 'CONNECT', headers: { 'accept-version': '1.2', Authorization: `Bearer ${token}` } }));
      ws.send(encodeFrame({ command: 'SUBSCRIBE', headers: { id: 'm', destination: `/topic/chat/rooms/${room}`, receipt: 'r1' } }));
      ws.send(encodeFrame({ command: 'SEND', headers: { destination: `/app/presence/${room}`, receipt: 'r2' }, body: '{}' }));
      // Close at varying points: before CONNECT is handled, during the membership check, during presence.
      const waitMs = i % 7;
      if (waitMs > 0) await new Promise((r) => setTimeout(r, waitMs));
      if (i % 2 === 0) ws.terminate();
      else ws.close();
      await new Promise((resolve) => (ws.readyState === ws.CLOSED ? resolve(undefined) : ws.once('close', resolve)));
    });

    await pool(SOCKETIO_CONNECTIONS, CONCURRENCY, async (i) => {
      const { token, room } = pairs[i % ROOMS]!;
      const socket = io(server.url, { transports: ['websocket'], auth: { token }, reconnection: false, forceNew: true });
      await new Promise<void>((resolve) => socket.once('connect', () => resolve()).once('connect_error', () => resolve()));
      socket.emit('room:enter', { roomCode: room });
      const waitMs = i % 5;
      if (waitMs > 0) await new Promise((r) => setTimeout(r, waitMs));
      socket.disconnect();
    });

    // Everything closed: the process's registries drain to zero …
    const sizes = await waitFor(
      async () => {
        const s = await scrape(server.url);
        const open = [...s].filter(([, v]) => v !== 0);
        return open.length === 0 && s.size > 0 ? s : undefined;
      },
      20_000,
      200,
    ).catch(async (err: Error) => {
      throw new Error(`${err.message}; left: ${JSON.stringify([...(await scrape(server.url))])}`);
    });
    expect(sizes.get('chat_local_registrations:hub_subscriptions')).toBe(0);
    expect(sizes.get('chat_local_registrations:hub_rooms')).toBe(0);
    expect(sizes.get('chat_local_registrations:presence_connections')).toBe(0);
    // … and so do the shared ones in Redis: no route from this server to any room, no presence entry. A late
    // registration (one that lands after its socket closed) would show up here and stay until its TTL.
    await new Promise((r) => setTimeout(r, 500));
    for (const { room } of pairs) {
      expect(await redis.zrange(redisKeys.roomRoutes(room), '0', '-1')).toEqual([]);
      expect(await redis.zrange(redisKeys.roomPresence(room), '0', '-1')).toEqual([]);
    }
  }, 240_000);
});
