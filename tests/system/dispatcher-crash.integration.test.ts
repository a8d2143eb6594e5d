import { connectArchive, type ArchiveHandle } from '@sunsu/archive';
import { CONSUMER_GROUPS, TOPICS } from '@sunsu/contracts';
import { createKafkaBus, type Admin, type MessageBus, type TopicPartitionOffset } from '@sunsu/kafka';
import {
  connectStomp,
  createDirectRoom,
  FAST_SEND_LIMITS,
  infra,
  metricTotal,
  randomUserId,
  ResilientRoomClient,
  scrapeMetrics,
  startService,
  tokenFor,
  waitFor,
  type RunningService,
  type TestStompClient,
} from '@sunsu/testkit';

const TOTAL = 1000;

type Offsets = Map<number, bigint>;
const offsets = (list: TopicPartitionOffset[]): Offsets => new Map(list.map((o) => [o.partition, BigInt(o.offset)]));
/** A group's committed offsets are -1 where it never committed: count from `start` there. */
const atLeast = (committed: Offsets, start: Offsets): Offsets => new Map([...start].map(([p, s]) => [p, (committed.get(p) ?? -1n) > s ? committed.get(p)! : s]));
/** An empty partition (end 0) is reached even though the group never committed on it (-1). */
const reached = (committed: Offsets, end: Offsets) => [...end].every(([p, e]) => e === 0n || (committed.get(p) ?? -1n) >= e);

/** What the killed dispatcher had done, seen while it was frozen. */
interface KillSnapshot {
  /** Messages of the room in the archive. */
  archived: number;
  /** The persist group's committed offsets on `chat-message`. */
  committed: Offsets;
  /** Freezes it took to catch it mid-batch. */
  attempts: number;
}

/**
 * kill -9 the dispatcher in the middle of a stream of 1,000 messages, at a moment it is mid-batch: it archived
 * messages whose transaction (saved events + input offsets) had not committed. The restarted dispatcher gets
 * that batch again, finds it archived, and emits its saved events once: `chat-message-saved`, read with
 * read_committed, holds exactly one event per message, the archive exactly one document. Both participants'
 * clients end with every message, from pushes and one catch-up from their highest contiguous sequence.
 */
describe('dispatcher crash mid-batch (kill -9)', () => {
  let chat: RunningService;
  let dispatcher: RunningService;
  let archive: ArchiveHandle;
  let bus: MessageBus;
  let admin: Admin;
  let sender: TestStompClient | undefined;
  const clients: ResilientRoomClient[] = [];

  beforeAll(async () => {
    [chat, dispatcher] = await Promise.all([startService('chat-server', 'it-crash-chat', FAST_SEND_LIMITS), startService('dispatcher', 'it-crash-dispatcher-1')]);
    archive = await connectArchive(infra().CHAT_MONGO_URL);
    bus = createKafkaBus({ brokers: infra().CHAT_KAFKA_BROKERS, clientId: 'it-dispatcher-crash' });
    admin = await bus.admin();
  }, 60_000);
  afterAll(async () => {
    await Promise.allSettled([sender?.close(), ...clients.map((c) => c.stop())]);
    await Promise.allSettled([chat?.stop(), dispatcher?.stop(), archive?.close(), admin?.close()]);
  });

  it('emits each message exactly once across the crash and every client ends complete', async () => {
    const senderId = randomUserId();
    const recipientId = randomUserId();
    const senderToken = await tokenFor(senderId, 'Sender');
    const recipientToken = await tokenFor(recipientId, 'Recipient', 'planner');
    const room = await createDirectRoom(chat.url, senderToken, recipientId);
    // Only this test writes to the platform topics now (integration tests run one at a time): offsets from here on are its own.
    const inputStart = offsets(await admin.endOffsets(TOPICS.chatMessage));
    const savedStart = await admin.endOffsets(TOPICS.chatMessageSaved);
    const archivedCount = () => archive.messages.countDocuments({ chatRoomCode: room });
    const persistCommitted = async () => offsets(await admin.groupOffsets(CONSUMER_GROUPS.persist, TOPICS.chatMessage));

    /**
     * Freeze the dispatcher (SIGSTOP) and look: archived messages beyond what its group committed are a batch
     * between its archive write and its transaction's commit. Then kill -9; otherwise let it run on and look
     * again. While it is frozen it sends nothing; what it sent before lands during the short settle.
     */
    const killMidBatch = async (): Promise<KillSnapshot> => {
      const pid = dispatcher.process.pid!;
      for (let attempt = 1; attempt <= 300; attempt++) {
        process.kill(pid, 'SIGSTOP');
        try {
          await new Promise((r) => setTimeout(r, 150));
          const committed = atLeast(await persistCommitted(), inputStart);
          const archived = await archivedCount();
          const committedSinceStart = [...committed].reduce((n, [p, o]) => n + Number(o - inputStart.get(p)!), 0);
          if (archived > committedSinceStart) {
            await dispatcher.crash();
            return { archived, committed, attempts: attempt };
          }
        } finally {
          if (dispatcher.process.exitCode === null && dispatcher.process.signalCode === null) process.kill(pid, 'SIGCONT');
        }
        // It catches up on what arrived while it was frozen: look again while that batch is in progress.
        await new Promise((r) => setTimeout(r, 5 + (attempt % 7) * 5));
      }
      throw new Error('never caught the dispatcher mid-batch');
    };

    const s = await connectStomp(chat.url, senderToken);
    sender = s;
    const receivers = [new ResilientRoomClient([chat.url], recipientToken, room), new ResilientRoomClient([chat.url], senderToken, room)];
    clients.push(...receivers);
    await Promise.all(receivers.map((r) => r.start()));

    // Stream with 20 sends in flight. After 300 acknowledged, kill the dispatcher mid-batch (the stream goes on
    // until it was caught); restart it 400 messages after the kill.
    const sent: string[] = [];
    let started = 0;
    let kill: Promise<KillSnapshot> | undefined;
    let snapshot: KillSnapshot | undefined;
    let ackedAtKill = 0;
    let killFailed = false;
    let restarted: Promise<RunningService> | undefined;
    const worker = async () => {
      while ((started < TOTAL || !snapshot) && !killFailed) {
        sent.push(await s.sendMessage(room, `m${started++}`));
        if (sent.length >= 300 && !kill) {
          kill = killMidBatch().then((taken) => {
            snapshot = taken;
            ackedAtKill = sent.length;
            return taken;
          });
          kill.catch(() => (killFailed = true)); // awaited below
        }
        if (snapshot && !restarted && sent.length >= ackedAtKill + 400) restarted = startService('dispatcher', 'it-crash-dispatcher-2');
      }
    };
    await Promise.all(Array.from({ length: 20 }, worker));
    const killedAt = await kill!;
    dispatcher = await (restarted ?? startService('dispatcher', 'it-crash-dispatcher-2'));
    const total = sent.length;

    // Deterministic end of the persist stage's work (no quiet period): its group committed the whole input, and
    // it commits its input offsets in the transaction of its output, so nothing more can be emitted.
    const inputEnd = offsets(await admin.endOffsets(TOPICS.chatMessage));
    await waitFor(async () => reached(await persistCommitted(), inputEnd), 90_000, 250);
    const savedRead = await bus.readRange({ topic: TOPICS.chatMessageSaved, readCommitted: true, from: savedStart });
    // …and of the fan-out's: its group committed past the last saved event (transaction markers follow it).
    const lastSaved: Offsets = new Map();
    for (const r of savedRead.records) lastSaved.set(r.partition, BigInt(r.offset) + 1n);
    await waitFor(async () => reached(offsets(await admin.groupOffsets(CONSUMER_GROUPS.fanOut, TOPICS.chatMessageSaved)), lastSaved), 60_000, 250);

    // Archive: each message once, sequences 1..total.
    const docs = await archive.messages.find({ chatRoomCode: room }, { sequenceId: 1, messageId: 1 }).lean();
    expect(docs.map((d) => d.sequenceId).sort((x, y) => x - y)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    expect(docs.map((d) => d.messageId).sort()).toEqual([...sent].sort());

    // chat-message-saved, read_committed: exactly one saved event per message.
    const savedEvents = savedRead.records.map((r) => JSON.parse(r.value.toString('utf8')) as { chatRoomCode: string; messageId: string; sequenceId: number }).filter((e) => e.chatRoomCode === room);
    expect(savedEvents.map((e) => e.messageId).sort()).toEqual([...sent].sort());
    expect(savedEvents.map((e) => e.sequenceId).sort((x, y) => x - y)).toEqual(Array.from({ length: total }, (_, i) => i + 1));

    // The kill interrupted a batch: the killed dispatcher had archived `inFlight` messages past its committed
    // offsets. Its successor consumed them again from those offsets and found them already archived.
    const input = await bus.readRange({ topic: TOPICS.chatMessage, readCommitted: true, from: [...inputStart].map(([partition, o]) => ({ topic: TOPICS.chatMessage, partition, offset: o.toString() })) });
    const roomRecords = input.records.filter((r) => (JSON.parse(r.value.toString('utf8')) as { chatRoomCode: string }).chatRoomCode === room);
    expect(roomRecords).toHaveLength(total);
    const committedAtKill = roomRecords.filter((r) => BigInt(r.offset) < killedAt.committed.get(r.partition)!).length;
    const inFlight = killedAt.archived - committedAtKill;
    expect(inFlight).toBeGreaterThanOrEqual(1);
    expect(metricTotal(await scrapeMetrics(dispatcher.url), 'dispatcher_messages_already_archived_total')).toBeGreaterThanOrEqual(inFlight);
    // Saved events of that batch the killed dispatcher had already sent sit in an aborted transaction (shown, not
    // asserted: the kill may also have come before its transaction sent anything).
    const uncommitted = await bus.readRange({ topic: TOPICS.chatMessageSaved, readCommitted: false, from: savedStart });
    const aborted = uncommitted.records.filter((r) => (JSON.parse(r.value.toString('utf8')) as { chatRoomCode: string }).chatRoomCode === room).length - total;

    // Clients: every message through pushes, or the one catch-up a client makes from its highest contiguous
    // sequence (the only catch-up: nobody reconnected). Never the same push twice.
    const report: string[] = [];
    for (const r of receivers) {
      const contiguousFromPushes = r.contiguous();
      await r.catchUp();
      expect(r.reconnects).toBe(0);
      expect(new Set(r.pushedSequences).size).toBe(r.pushedSequences.length);
      expect([...r.messages.keys()].sort((x, y) => x - y)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
      expect([...r.messages.values()].map((m) => m.messageId).sort()).toEqual([...sent].sort());
      report.push(`${r.pushedSequences.length} pushed, contiguous ${contiguousFromPushes} before the catch-up`);
    }
    console.log(`dispatcher crash: killed after ${ackedAtKill} acks (freeze ${killedAt.attempts}) with ${inFlight} messages archived but uncommitted (${aborted} saved events aborted); clients: ${report.join('; ')}`);
  }, 180_000);
});
