import { createTokenVerifier } from '@sunsu/auth';
import { createLogger, createMetricsRegistry } from '@sunsu/observability';
import { InboxReader, InboxWriter, RouteRegistry } from '@sunsu/routing';
import { loadChatServerConfig } from './config.ts';
import { createChatServerMetrics, instrumentPublisher } from './metrics.ts';
import { openConnections } from './adapters/connections.ts';
import { PostgresRoomDirectory } from './adapters/room-directory.ts';
import { RedisSequenceAllocator } from './adapters/sequence-allocator.ts';
import { PresenceStore, ProfileStore, ReadStateStore, RoomMembers, RoomOrder } from '@sunsu/room-state';
import { countUnread, newestSequence } from '@sunsu/archive';
import { participantsOfRoom } from '@sunsu/db';
import { profileSource, readStateSource, roomOrderSource } from './adapters/room-state-source.ts';
import { createHighestSequence } from './adapters/highest-sequence.ts';
import { KafkaMessagePublisher } from './adapters/kafka-publisher.ts';
import { DeliveryHub } from './delivery/hub.ts';
import type { SlowConsumerListener } from './delivery/outbound.ts';
import { RoomEvents } from './domain/room-events.ts';
import { PresenceSweeper } from './domain/presence-sweeper.ts';
import { buildHttpApp } from './http/app.ts';
import { registerRestRoutes } from './http/rest.ts';
import { registerImageRoutes } from './http/images.ts';
import { registerDevAuth } from './http/dev-auth.ts';
import { LocalDirectoryStorage } from './adapters/storage/local-directory-storage.ts';
import { S3Storage } from './adapters/storage/s3-storage.ts';
import { createStompHandlers } from './stomp/handlers.ts';
import { HeartbeatMonitor } from './stomp/heartbeats.ts';
import { RawWebSocketTransport } from './transports/raw-ws.ts';
import { SockJsTransport } from './transports/sockjs.ts';
import { SocketIoTransport } from './transports/socketio.ts';

const config = loadChatServerConfig();
const logger = createLogger('chat-server', config.LOG_LEVEL).child({ serverId: config.CHAT_SERVER_ID });
const metrics = createMetricsRegistry('chat-server');
const connections = await openConnections(config, logger);
const { redis, database, archive, bus, kafkaAdmin } = connections;

const readState = new ReadStateStore(redis, readStateSource(database.db, archive.messages));
// Participants never change after creation: recently used rooms are also kept in process (no Redis trip per send).
const members = new RoomMembers(redis, (code) => participantsOfRoom(database.db, code), { localRooms: 50_000 });
const roomOrder = new RoomOrder(redis, roomOrderSource(database.db, (code) => readState.meta(code)));
const profiles = new ProfileStore(redis, profileSource(database.db));
const verifyClaims = createTokenVerifier({ secret: config.jwtSecret, jwksUrl: config.CHAT_JWT_JWKS_URL });
if (config.devSignIn && config.CHAT_ENV === 'production') {
  logger.warn('development sign-in enabled in production (CHAT_DEV_SIGNIN=true): anyone can sign in as any user; for demos and tests only');
}
/** Every authenticated call refreshes the caller's profile from the claims; a Postgres outage never blocks sign-in. */
const verifyToken: typeof verifyClaims = async (token) => {
  const principal = await verifyClaims(token);
  profiles.upsert(principal).catch((err: Error) => logger.warn({ err: err.message, userId: principal.userId }, 'profile refresh failed'));
  return principal;
};
const rooms = new PostgresRoomDirectory(database.db, redis, members, roomOrder);
const sequences = new RedisSequenceAllocator(redis, {
  highestInUse: createHighestSequence({ messages: archive.messages, db: database.db, kafkaAdmin, logger }),
});
const producer = await bus.producer();
// Connection counts are read at scrape time from the transports created below.
const connectionCounts: Record<string, () => number> = {};
const registrySizes: Record<string, () => number> = {};
const appMetrics = createChatServerMetrics(metrics, connectionCounts, registrySizes);
const publisher = instrumentPublisher(new KafkaMessagePublisher(producer), appMetrics);
const routes = new RouteRegistry(redis);
const inboxWriter = new InboxWriter(redis);
const hub = new DeliveryHub(config.CHAT_SERVER_ID, routes, logger);
const inbox = new InboxReader(redis, config.CHAT_SERVER_ID);
// run() never rejects: failures are retried (bad entries skipped) and a stop shows in the `inbox` readiness check.
void inbox.run(
  (pushes) => void appMetrics.delivered.inc(hub.dispatch(pushes)),
  (err) => logger.warn({ err }, 'inbox read or dispatch failed'),
);

const readPort = {
  advanceLastRead: (room: string, user: string, seq: number) => readState.advanceLastRead(room, user, seq),
  newestInMeta: (room: string) => readState.latestSequence(room),
  newestPersisted: (room: string) => newestSequence(archive.messages, room),
};
const presence = new PresenceStore(redis, config.CHAT_PRESENCE_TTL_MS);
const roomEvents = new RoomEvents(routes, inboxWriter, presence, readPort, config.CHAT_SERVER_ID, (room) => hub.reassert(room));
registrySizes.hub_subscriptions = () => hub.size.subscriptions;
registrySizes.hub_rooms = () => hub.size.rooms;
registrySizes.presence_connections = () => roomEvents.presenceConnections;
const presenceSweeper = new PresenceSweeper(presence, (room, push) => roomEvents.pushToRoom(room, push), logger);
presenceSweeper.start(config.CHAT_PRESENCE_SWEEP_MS);
const sendDeps = { rooms, sequences, publisher, clock: { now: () => new Date() } };
const storage =
  config.CHAT_STORAGE === 's3'
    ? new S3Storage({ bucket: config.CHAT_S3_BUCKET, region: config.CHAT_S3_REGION, prefix: config.CHAT_S3_PREFIX, ...(config.CHAT_S3_ENDPOINT ? { endpoint: config.CHAT_S3_ENDPOINT } : {}) })
    : new LocalDirectoryStorage(config.CHAT_UPLOAD_DIR);
const stompHandlers = createStompHandlers({ verifyToken, ...sendDeps, hub, roomEvents });
const heartbeats = new HeartbeatMonitor();
// One policy for every transport: what a connection may ask, and what may wait for it.
const inbound = {
  maxPending: config.CHAT_MAX_PENDING_REQUESTS,
  sendRatePerSecond: config.CHAT_STOMP_SEND_RATE,
  sendBurst: config.CHAT_STOMP_SEND_BURST,
  subscribeRatePerSecond: config.CHAT_SUBSCRIBE_RATE,
  subscribeBurst: config.CHAT_SUBSCRIBE_BURST,
  maxSubscriptions: config.CHAT_MAX_SUBSCRIPTIONS,
};
const outbound = { maxBufferedBytes: config.CHAT_OUTBOUND_MAX_BYTES, ephemeralBufferedBytes: config.CHAT_OUTBOUND_EPHEMERAL_BYTES };
const onSlowConsumer: SlowConsumerListener = (info) => {
  appMetrics.slowConsumers.inc({ transport: info.transport });
  logger.warn(info, 'slow consumer disconnected');
};
const sessionOptions = {
  heartbeats,
  serverName: `sunsu-chat/${config.CHAT_SERVER_ID}`,
  maxFrameBytes: config.CHAT_STOMP_MAX_FRAME_BYTES,
  inbound,
  outbound,
  onSlowConsumer,
};
const stomp = new RawWebSocketTransport(stompHandlers, sessionOptions, { pingIntervalMs: config.CHAT_WS_PING_MS });
connectionCounts.stomp = () => stomp.sessions.size;

let accepting = true;
const app = await buildHttpApp({
  logger,
  metrics,
  readinessChecks: {
    ...connections.readinessChecks,
    inbox: async () => {
      if (!inbox.healthy()) throw new Error(`inbox reader stopped or stuck: ${String(inbox.lastError ?? 'not running')}`);
    },
  },
  webDir: config.CHAT_WEB_DIR,
  isAccepting: () => accepting,
  routes: (a) => {
    registerRestRoutes(a, {
      verifyToken,
      rooms,
      messages: archive.messages,
      lastReads: (room) => readState.lastReads(room),
      roomList: {
        page: (user, size, cursor) => roomOrder.page(user, size, cursor),
        participants: (room) => members.of(room),
        profiles: (ids) => profiles.get(ids),
        meta: (room) => readState.meta(room),
        lastReads: (room) => readState.lastReads(room),
        countUnread: (room, user, lastRead, upTo) => countUnread(archive.messages, room, user, lastRead, upTo),
      },
      upsertProfile: (profile) => profiles.upsert(profile, { force: true }),
    });
    registerImageRoutes(a, { rooms, storage, sendDeps, maxBytes: config.CHAT_UPLOAD_MAX_BYTES });
    registerDevAuth(a, config);
  },
});
// WebSocket upgrades: /stomp here; /ws (SockJS) and /socket.io/ are handled by their own libraries'
// listeners on the same server, so this listener leaves those paths alone.
app.server.on('upgrade', (req, socket, head) => {
  const path = (req.url ?? '').split('?')[0] ?? '';
  if (path.startsWith('/ws/') || path.startsWith('/socket.io/')) return;
  if (path === '/stomp' && accepting) return stomp.handleUpgrade(req, socket, head);
  socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
});
// ── more transports are attached here (SockJS, Socket.IO) ──
const socketIo = new SocketIoTransport({
  verifyToken,
  rooms,
  hub,
  sendDeps,
  roomEvents,
  logger,
  maxPayloadBytes: sessionOptions.maxFrameBytes,
  inbound,
  outbound,
  onSlowConsumer,
});
socketIo.attach(app.server);
const sockJs = new SockJsTransport(stompHandlers, sessionOptions);
sockJs.attach(app.server);
connectionCounts.sockjs = () => sockJs.sessions.size;
connectionCounts.socketio = () => socketIo.connectionCount;
await app.listen({ host: config.CHAT_HTTP_HOST, port: config.CHAT_HTTP_PORT });
logger.info({ url: `http://${config.CHAT_HTTP_HOST}:${config.CHAT_HTTP_PORT}/` }, 'chat-server listening');

/** SIGTERM: fail readiness, tell socket clients to reconnect elsewhere, drain requests, close stores. */
async function shutdown(signal: string) {
  if (!accepting) return;
  accepting = false;
  logger.info({ signal }, 'shutting down');
  const force = setTimeout(() => {
    logger.warn('grace period over: exiting');
    process.exit(1);
  }, config.CHAT_SHUTDOWN_GRACE_MS);
  force.unref();
  presenceSweeper.stop();
  await stomp.drain();
  await socketIo.drain();
  await sockJs.drain();
  await hub.close();
  await inbox.stop();
  await app.close();
  await producer.close();
  await connections.close();
  logger.info('stopped');
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
