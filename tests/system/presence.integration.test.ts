import { createRedis, type Redis } from '@sunsu/redis';
import {
  connectStomp,
  createDirectRoom,
  infra,
  randomUserId,
  startPlatform,
  tokenFor,
  waitFor,
  type Platform,
  type RunningService,
  type TestStompClient,
} from '@sunsu/testkit';

const TTL_MS = 3000;

/**
 * Presence per connection (not per room and user): two tabs of one user on two chat-server processes; closing
 * one keeps the user online and receiving, closing both makes them offline for the partner; a ping after the
 * presence expired brings it back without reconnecting.
 */
describe('presence', () => {
  let platform: Platform;
  let s1: RunningService;
  let s2: RunningService;
  let redis: Redis;
  const open: TestStompClient[] = [];

  beforeAll(async () => {
    platform = await startPlatform('it-presence', { chatServers: 2, chatEnv: { CHAT_PRESENCE_TTL_MS: String(TTL_MS), CHAT_PRESENCE_SWEEP_MS: '300' } });
    [s1, s2] = platform.chat as [RunningService, RunningService];
    redis = createRedis(infra().CHAT_REDIS_URL);
  });
  afterAll(async () => {
    await Promise.allSettled(open.map((c) => c.close()));
    await platform?.stop();
    redis?.disconnect();
  });

  async function scenario() {
    const a = randomUserId();
    const b = randomUserId();
    const [ta, tb] = await Promise.all([tokenFor(a, 'Couple'), tokenFor(b, 'Planner', 'planner')]);
    const room = await createDirectRoom(s1.url, ta, b);
    const watcher = await connectStomp(s1.url, ta);
    open.push(watcher);
    const topic = `/topic/presence/${room}/${b}`;
    await watcher.subscribe(topic);
    const statuses = () => ((watcher.received.get(topic) ?? []) as { userId: string; status: string }[]).map((p) => p.status);
    return { a, b, ta, tb, room, watcher, statuses };
  }

  it('keeps a user online while one of two tabs is open, and offline after both close', async () => {
    const { b, tb, room, watcher, statuses } = await scenario();
    const tab1 = await connectStomp(s1.url, tb);
    const tab2 = await connectStomp(s2.url, tb);
    for (const tab of [tab1, tab2]) {
      await tab.subscribe(`/topic/chat/rooms/${room}`);
      await tab.send(`/app/presence/${room}`, {});
    }
    await waitFor(() => statuses().length >= 1, 10_000);
    expect(statuses()).toEqual(['online']); // the second tab is no transition

    await tab1.close();
    await new Promise((r) => setTimeout(r, 1000));
    expect(statuses()).toEqual(['online']); // still online through tab 2
    const messageId = await watcher.sendMessage(room, 'still there?');
    await waitFor(() => ((tab2.received.get(`/topic/chat/rooms/${room}`) ?? []) as { messageId: string }[]).some((m) => m.messageId === messageId), 10_000);

    await tab2.close();
    await waitFor(() => statuses().length >= 2, 10_000);
    expect(statuses()).toEqual(['online', 'offline']);
    expect(await redis.zcard(`chat:{${room}}:presence`)).toBe(0);
    void b;
  }, 60_000);

  it('announces offline when presence expires without a disconnect, and re-creates it on the next ping', async () => {
    const { b, tb, room, statuses } = await scenario();
    const tab = await connectStomp(s2.url, tb);
    open.push(tab);
    await tab.send(`/app/presence/${room}`, { userId: b }); // the legacy body form is accepted when it names the caller
    await waitFor(() => statuses().length >= 1, 10_000);
    // No ping (a sleeping laptop, a silently dropped network): the record expires and the partner is told once.
    await waitFor(() => statuses().length >= 2, TTL_MS + 5000);
    expect(statuses()).toEqual(['online', 'offline']);
    expect(await redis.zcount(`chat:{${room}}:presence`, Date.now(), '+inf')).toBe(0);
    await new Promise((r) => setTimeout(r, 1000));
    expect(statuses()).toEqual(['online', 'offline']); // swept by one of the two servers only
    await tab.send(`/app/presence/ping/${room}`, {});
    await waitFor(() => statuses().length >= 3, 10_000);
    expect(statuses()).toEqual(['online', 'offline', 'online']);
    expect(await redis.zcount(`chat:{${room}}:presence`, Date.now(), '+inf')).toBe(1);
  }, 60_000);

  it('refuses presence for another user', async () => {
    const { a, tb, room } = await scenario();
    const tab = await connectStomp(s1.url, tb);
    await expect(tab.send(`/app/presence/${room}`, { userId: a })).rejects.toThrow(/userId does not match/);
  }, 30_000);
});
