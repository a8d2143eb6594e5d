import { randomUUID } from 'node:crypto';
import {
  api,
  connectStomp,
  historyAfter,
  randomUserId,
  startPlatform,
  tokenFor,
  waitFor,
  type Platform,
  type RunningService,
  type TestStompClient,
} from '@sunsu/testkit';

interface Envelope<T> {
  code: number | string;
  message: string;
  data: T;
}

/**
 * The original frontend's calls (seed-behaviour.md §2.3, §8) against a real chat-server: they name the caller in
 * bodies and queries (`userId`, numbers in JSON) and page history by `page`. The token's subject decides: a
 * `userId` naming the caller is accepted, one naming anyone else is refused with 403 and a JSON error.
 */
describe('original frontend calls', () => {
  let platform: Platform;
  let server: RunningService;
  const open: TestStompClient[] = [];
  const me = randomUserId();
  const planner = randomUserId();
  const someoneElse = randomUserId();
  let token: string;
  let code: string;

  beforeAll(async () => {
    platform = await startPlatform('it-legacy');
    server = platform.chat[0]!;
    token = await tokenFor(me, 'Legacy Couple');
  });
  afterAll(async () => {
    await Promise.allSettled(open.map((c) => c.close()));
    await platform?.stop();
  });

  const expectForbidden = (res: { status: number; body: unknown }) => {
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ code: 'FORBIDDEN', message: expect.stringMatching(/userId does not match/) });
  };

  it('creates the room with {userId, plannerId} as numbers, and refuses a userId that is not the caller', async () => {
    const first = await api<Envelope<{ chatRoomCode: string; alreadyExists: boolean }>>(server.url, token, 'POST', '/api/chat/rooms', { userId: Number(me), plannerId: Number(planner) });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ code: 200, message: 'success', data: { alreadyExists: false } });
    code = first.body.data.chatRoomCode;
    const again = await api<Envelope<{ chatRoomCode: string; alreadyExists: boolean }>>(server.url, token, 'POST', '/api/chat/rooms', { userId: me, plannerId: planner });
    expect(again.body.data).toEqual({ chatRoomCode: code, alreadyExists: true });

    expectForbidden(await api(server.url, token, 'POST', '/api/chat/rooms', { userId: Number(someoneElse), plannerId: Number(planner) }));
    expectForbidden(await api(server.url, token, 'POST', '/api/chat/rooms', { userId: someoneElse, participantIds: [planner, randomUserId()] }));
    // Not a user id at all: a validation error, not an identity question.
    expect((await api(server.url, token, 'POST', '/api/chat/rooms', { userId: 'me', plannerId: planner })).status).toBe(400);
  });

  it('validates a room with {chatRoomCode, userId}', async () => {
    const valid = await api<Envelope<{ valid: boolean }>>(server.url, token, 'POST', '/api/chat/rooms/validate', { chatRoomCode: code, userId: Number(me) });
    expect(valid.status).toBe(200);
    expect(valid.body.data).toEqual({ valid: true });
    // Asking about someone else is no longer possible: the answer would leak their rooms.
    expectForbidden(await api(server.url, token, 'POST', '/api/chat/rooms/validate', { chatRoomCode: code, userId: planner }));
  });

  it('lists rooms and unread counts with ?userId=', async () => {
    const rooms = await api<{ data: { chatRoomCode: string }[]; hasNext: boolean }>(server.url, token, 'GET', `/api/chat/rooms?userId=${me}&size=10`);
    expect(rooms.status).toBe(200);
    expect(rooms.body.data.map((r) => r.chatRoomCode)).toEqual([code]);
    expect(rooms.body.hasNext).toBe(false);
    expectForbidden(await api(server.url, token, 'GET', `/api/chat/rooms?userId=${someoneElse}&size=10`));

    expect((await api(server.url, token, 'GET', `/api/chat/unread?userId=${me}`)).status).toBe(200);
    expectForbidden(await api(server.url, token, 'GET', `/api/chat/unread?userId=${someoneElse}`));
  });

  it('pages history by ?page=&size=, newest first, and checks a userId query there too', async () => {
    const sender = await connectStomp(server.url, token);
    open.push(sender);
    // The original frontend's STOMP body: legacy senderId, userId and createdAt naming the caller are accepted.
    for (let i = 1; i <= 5; i++) {
      await sender.send(`/app/chat/rooms/${code}/messages`, {
        messageId: randomUUID(),
        senderId: Number(me),
        userId: Number(me),
        senderName: 'Legacy Couple',
        content: `m${i}`,
        messageType: 'TEXT',
        createdAt: new Date().toISOString(),
      });
    }
    await waitFor(async () => (await historyAfter(server.url, token, code)).length === 5, 10_000);

    const page = async (n: number) => {
      const res = await api<{ data: { content: string }[]; hasNext: boolean }>(server.url, token, 'GET', `/api/chat/messages/${code}?page=${n}&size=2&userId=${me}`);
      expect(res.status).toBe(200);
      return [res.body.data.map((m) => m.content), res.body.hasNext];
    };
    expect(await page(0)).toEqual([['m5', 'm4'], true]);
    expect(await page(1)).toEqual([['m3', 'm2'], true]);
    expect(await page(2)).toEqual([['m1'], false]);
    expect((await api(server.url, token, 'GET', `/api/chat/messages/${code}?page=1&before=3`)).status).toBe(400);
    expectForbidden(await api(server.url, token, 'GET', `/api/chat/messages/${code}?page=0&size=15&userId=${someoneElse}`));
  });

  it('refuses a STOMP message whose legacy userId names someone else, and stores nothing of it', async () => {
    const sender = await connectStomp(server.url, token);
    open.push(sender);
    await expect(sender.send(`/app/chat/rooms/${code}/messages`, { messageId: randomUUID(), userId: Number(someoneElse), content: 'forged', messageType: 'TEXT' })).rejects.toThrow(
      /userId does not match/,
    );
    expect((await historyAfter(server.url, token, code)).map((m) => m.content)).not.toContain('forged');
  });
});
