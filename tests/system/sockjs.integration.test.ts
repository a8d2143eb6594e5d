import { randomUUID } from 'node:crypto';
import {
  api,
  connectSockJs,
  connectStomp,
  randomUserId,
  startPlatform,
  tokenFor,
  waitFor,
  type Platform,
  type RunningService,
} from '@sunsu/testkit';

/**
 * The original frontend's stack (@stomp/stompjs + sockjs-client at /ws) against the platform, on each SockJS
 * transport, in one group room with a raw-WebSocket user on another chat-server process.
 */
describe('SockJS endpoint /ws', () => {
  let platform: Platform;
  let chatA: RunningService;
  let chatB: RunningService;

  beforeAll(async () => {
    platform = await startPlatform('it-sockjs', { chatServers: 2 });
    [chatA, chatB] = platform.chat as [RunningService, RunningService];
  });
  afterAll(async () => {
    await platform?.stop();
  });

  it.each(['websocket', 'xhr-streaming', 'xhr-polling'])('exchanges messages with a raw-WebSocket user over %s', async (transport) => {
    const rawUser = randomUserId();
    const sockUser = randomUserId();
    const rawToken = await tokenFor(rawUser, 'Raw');
    const sockToken = await tokenFor(sockUser, 'SockJS', 'planner');
    const created = await api<{ data: { chatRoomCode: string } }>(chatA.url, rawToken, 'POST', '/api/chat/rooms', { plannerId: sockUser });
    const room = created.body.data.chatRoomCode;
    const topic = `/topic/chat/rooms/${room}`;

    const raw = await connectStomp(chatA.url, rawToken);
    const sock = await connectSockJs(chatB.url, sockToken, transport);
    try {
      await raw.subscribe(topic);
      await sock.subscribe(topic);
      await raw.sendMessage(room, `from raw over ${transport}`);
      await sock.send(`/app/chat/rooms/${room}/messages`, { messageId: randomUUID(), content: `from sockjs ${transport}`, messageType: 'TEXT' });
      for (const inbox of [raw.received, sock.received]) await waitFor(() => (inbox.get(topic)?.length ?? 0) >= 2, 15_000);
      await new Promise((r) => setTimeout(r, 300));
      for (const inbox of [raw.received, sock.received]) {
        const got = inbox.get(topic) as { content: string; sequenceId: number; senderId: string }[];
        expect(got.map((m) => m.sequenceId)).toEqual([1, 2]);
        expect(got.map((m) => m.senderId)).toEqual([rawUser, sockUser]);
      }
    } finally {
      await raw.close();
      await sock.close();
    }
  }, 60_000);

  it('rejects a SockJS client without a token with an ERROR frame', async () => {
    await expect(connectSockJs(chatA.url, '')).rejects.toThrow(/missing token|authentication failed/);
  });
});
