import { connectArchive, type ArchiveHandle } from '@sunsu/archive';
import {
  connectStomp,
  createDirectRoom,
  historyAfter,
  infra,
  randomUserId,
  startService,
  tokenFor,
  waitFor,
  type RunningService,
  type TestStompClient,
} from '@sunsu/testkit';

const TOTAL = 1000;
const FAST = { CHAT_STOMP_SEND_RATE: '5000', CHAT_STOMP_SEND_BURST: '5000' };

/**
 * kill -9 the dispatcher in the middle of a stream of 1,000 messages, restart it: the archive holds exactly
 * 1,000 documents with sequences 1..1,000, and the online recipient ends up with each message exactly once
 * (pushes, plus a catch-up with `after=` for whatever was pushed to nobody while the dispatcher was down).
 */
describe('dispatcher crash mid-stream (kill -9)', () => {
  let chat: RunningService;
  let dispatcher: RunningService;
  let archive: ArchiveHandle;
  const clients: TestStompClient[] = [];

  beforeAll(async () => {
    [chat, dispatcher] = await Promise.all([startService('chat-server', 'it-crash-chat', FAST), startService('dispatcher', 'it-crash-dispatcher-1')]);
    archive = await connectArchive(infra().CHAT_MONGO_URL);
  }, 60_000);
  afterAll(async () => {
    await Promise.allSettled(clients.map((c) => c.close()));
    await Promise.allSettled([chat?.stop(), dispatcher?.stop(), archive?.close()]);
  });

  it('loses nothing and duplicates nothing', async () => {
    const sender = randomUserId();
    const recipient = randomUserId();
    const senderToken = await tokenFor(sender, 'Sender');
    const recipientToken = await tokenFor(recipient, 'Recipient', 'planner');
    const room = await createDirectRoom(chat.url, senderToken, recipient);
    const a = await connectStomp(chat.url, senderToken);
    const b = await connectStomp(chat.url, recipientToken);
    clients.push(a, b);
    const topic = `/topic/chat/rooms/${room}`;
    await b.subscribe(topic);

    // Stream with 20 sends in flight; crash the dispatcher after 300 acknowledged, restart it after 700.
    let acked = 0;
    let next = 0;
    let restarted: Promise<RunningService> | undefined;
    const worker = async () => {
      while (next < TOTAL) {
        const i = next++;
        await a.sendMessage(room, `m${i}`);
        acked++;
        if (acked === 300) void dispatcher.crash();
        if (acked === 700) restarted = startService('dispatcher', 'it-crash-dispatcher-2');
      }
    };
    await Promise.all(Array.from({ length: 20 }, worker));
    dispatcher = await restarted!;

    await waitFor(async () => (await archive.messages.countDocuments({ chatRoomCode: room })) === TOTAL, 90_000, 500);
    await new Promise((r) => setTimeout(r, 2000)); // anything extra would show up now

    const docs = await archive.messages.find({ chatRoomCode: room }, { sequenceId: 1, content: 1 }).lean();
    expect(docs).toHaveLength(TOTAL);
    expect(docs.map((d) => d.sequenceId).sort((x, y) => x - y)).toEqual(Array.from({ length: TOTAL }, (_, i) => i + 1));
    expect(new Set(docs.map((d) => d.content)).size).toBe(TOTAL);

    // Pushes: never a duplicate; the recipient recovers the rest from history after its last contiguous sequence.
    const pushed = (b.received.get(topic) ?? []) as { sequenceId: number }[];
    const pushedSeqs = pushed.map((m) => m.sequenceId);
    expect(new Set(pushedSeqs).size).toBe(pushedSeqs.length);
    const recovered = await historyAfter(chat.url, recipientToken, room, 0);
    const endState = new Set([...pushedSeqs, ...recovered.map((m) => m.sequenceId)]);
    expect(endState.size).toBe(TOTAL);
    console.log(`dispatcher crash: ${pushed.length} of ${TOTAL} pushed live, ${TOTAL - pushed.length} recovered with after=`);
  }, 180_000);
});
