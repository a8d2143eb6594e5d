import { randomUUID } from 'node:crypto';
import { io, type Socket } from 'socket.io-client';
import { api, connectSockJs, connectStomp, randomUserId, startPlatform, tokenFor, waitFor, waitForPipeline, type Platform, type RunningService } from '@sunsu/testkit';

const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');

interface Pushed {
  messageId: string;
  sequenceId: number;
  messageType: string;
  readBy: string[];
  fileUrl: string | null;
}

/**
 * Three users on three chat-server processes, one per transport — raw WebSocket STOMP, SockJS (the original
 * frontend's stack) and Socket.IO — exchange text and image messages in one group room. Each message arrives
 * at every user once, in sequence order, with readBy.
 */
describe('raw WebSocket, SockJS and Socket.IO users in one room', () => {
  let platform: Platform;
  let socket: Socket | undefined;

  beforeAll(async () => {
    platform = await startPlatform('it-3t', { chatServers: 3 });
  });
  afterAll(async () => {
    socket?.close();
    await platform?.stop();
  });

  it('exchanges text and images, each once and in order', async () => {
    const [rawServer, sockServer, sioServer] = platform.chat as [RunningService, RunningService, RunningService];
    const ids = [randomUserId(), randomUserId(), randomUserId()] as const;
    const [rawToken, sockToken, sioToken] = (await Promise.all(ids.map((id, i) => tokenFor(id, `user ${i}`)))) as [string, string, string];
    const created = await api<{ data: { chatRoomCode: string } }>(rawServer.url, rawToken, 'POST', '/api/chat/rooms', { participantIds: [ids[1], ids[2]] });
    const room = created.body.data.chatRoomCode;
    const topic = `/topic/chat/rooms/${room}`;

    const raw = await connectStomp(rawServer.url, rawToken);
    const sock = await connectSockJs(sockServer.url, sockToken);
    socket = io(sioServer.url, { transports: ['websocket'], auth: { token: sioToken }, reconnection: false });
    const sioReceived: Pushed[] = [];
    socket.on('message', (m: Pushed & { roomCode: string }) => {
      if (m.roomCode === room) sioReceived.push(m);
    });
    await new Promise<void>((resolve, reject) => {
      socket!.once('connect', () => resolve());
      socket!.once('connect_error', reject);
    });
    const subscribed = await socket.emitWithAck('room:subscribe', { roomCode: room });
    expect(subscribed).toEqual({ ok: true });
    await raw.subscribe(topic);
    await sock.subscribe(topic);

    const upload = async (token: string, url: string) => {
      const form = new FormData();
      form.set('message', JSON.stringify({ messageId: randomUUID(), content: 'venue photo', messageType: 'IMAGE' }));
      form.set('image', new Blob([PNG], { type: 'image/png' }), 'venue.png');
      const res = await fetch(`${url}/api/chat/messages/${room}/image`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
      expect(res.status).toBe(200);
      return ((await res.json()) as { data: { messageId: string } }).data.messageId;
    };

    const sent: string[] = [];
    sent.push(await raw.sendMessage(room, 'hello from raw websocket'));
    const sockMessageId = randomUUID();
    await sock.send(`/app/chat/rooms/${room}/messages`, { messageId: sockMessageId, content: 'hello from sockjs', messageType: 'TEXT' });
    sent.push(sockMessageId);
    const sioMessageId = randomUUID();
    const ack = await socket.emitWithAck('message:send', { roomCode: room, messageId: sioMessageId, content: 'hello from socket.io', messageType: 'TEXT' });
    expect(ack).toMatchObject({ ok: true, sequenceId: 3 });
    sent.push(sioMessageId);
    sent.push(await upload(rawToken, rawServer.url));
    sent.push(await upload(sioToken, sioServer.url));

    const inboxes = [() => (raw.received.get(topic) ?? []) as Pushed[], () => (sock.received.get(topic) ?? []) as Pushed[], () => sioReceived];
    for (const inbox of inboxes) await waitFor(() => inbox().length >= 5, 20_000);
    await waitForPipeline(); // nothing more can arrive
    for (const inbox of inboxes) {
      const got = inbox();
      expect(got.map((m) => m.messageId)).toEqual(sent);
      expect(got.map((m) => m.sequenceId)).toEqual([1, 2, 3, 4, 5]);
      expect(got.map((m) => m.messageType)).toEqual(['TEXT', 'TEXT', 'TEXT', 'IMAGE', 'IMAGE']);
      expect(got.every((m) => m.readBy.length >= 1)).toBe(true);
      expect(got.slice(3).every((m) => m.fileUrl?.startsWith(`/api/chat/files/${room}/`))).toBe(true);
    }
    // The image is served to a participant on any process, and to nobody else.
    const fileUrl = sioReceived[3]!.fileUrl!;
    const file = await fetch(`${sockServer.url}${fileUrl}`, { headers: { authorization: `Bearer ${sockToken}` } });
    expect(file.status).toBe(200);
    expect(Buffer.from(await file.arrayBuffer())).toEqual(PNG);
    const stranger = await tokenFor(randomUserId());
    expect((await fetch(`${sockServer.url}${fileUrl}`, { headers: { authorization: `Bearer ${stranger}` } })).status).toBe(403);

    await raw.close();
    await sock.close();
  }, 90_000);
});
