import {
  createDirectRoom,
  historyAfter,
  randomUserId,
  FAST_SEND_LIMITS,
  ResilientRoomClient,
  startPlatform,
  tokenFor,
  waitFor,
  type Platform,
  type RunningService,
} from '@sunsu/testkit';

const TOTAL = 200;

/**
 * kill -9 the chat-server process both users are connected to while one of them sends: they reconnect to the
 * other process, the sender resends what was not acknowledged (same messageId), the recipient catches up with
 * `after=`; in the end both hold every message exactly once and the archive holds each once.
 */
describe('chat-server crash with connected clients (kill -9)', () => {
  let platform: Platform;
  let first: RunningService;
  let second: RunningService;
  const clients: ResilientRoomClient[] = [];

  beforeAll(async () => {
    platform = await startPlatform('it-cs-crash', { chatServers: 2, chatEnv: FAST_SEND_LIMITS });
    [first, second] = platform.chat as [RunningService, RunningService];
  });
  afterAll(async () => {
    await Promise.allSettled(clients.map((c) => c.stop()));
    await platform?.stop();
  });

  it('clients reconnect to another process and lose nothing', async () => {
    const sender = randomUserId();
    const recipient = randomUserId();
    const senderToken = await tokenFor(sender, 'Sender');
    const recipientToken = await tokenFor(recipient, 'Recipient', 'planner');
    const room = await createDirectRoom(first.url, senderToken, recipient);
    // Both start on the first process; after it dies they fail over to the second.
    const a = new ResilientRoomClient([first.url, second.url], senderToken, room);
    const b = new ResilientRoomClient([first.url, second.url], recipientToken, room);
    clients.push(a, b);
    await Promise.all([a.start(), b.start()]);

    const sent: string[] = [];
    for (let i = 0; i < TOTAL; i++) {
      if (i === 80) void first.crash();
      sent.push(await a.send(`m${i}`));
    }
    await waitFor(() => b.messages.size >= TOTAL, 30_000, 100);
    await b.catchUp();

    expect(a.reconnects).toBeGreaterThanOrEqual(1);
    expect(b.reconnects).toBeGreaterThanOrEqual(1);
    expect(b.messages.size).toBe(TOTAL);
    expect([...b.messages.values()].map((m) => m.messageId).sort()).toEqual([...sent].sort());
    const history = await historyAfter(second.url, recipientToken, room);
    expect(history).toHaveLength(TOTAL);
    expect(new Set(history.map((m) => m.messageId)).size).toBe(TOTAL);
    // Pushes may be missed during the failover (recovered by after=), but never delivered twice.
    expect(new Set(b.pushedSequences).size).toBe(b.pushedSequences.length);
    console.log(`chat-server crash: recipient got ${b.pushedSequences.length} pushes live, ${TOTAL - new Set(b.pushedSequences).size} by catch-up`);
  }, 120_000);
});
