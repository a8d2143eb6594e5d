import { randomUUID } from 'node:crypto';
import { connectArchive, type ArchiveHandle } from '@sunsu/archive';
import { createKafkaBus, type IncomingRecord, type MessageBus } from '@sunsu/kafka';
import { createLogger, createMetricsRegistry } from '@sunsu/observability';
import { infra, uniqueName, waitFor } from '@sunsu/testkit';
import { createDispatcherMetrics } from '../metrics.ts';
import { PersistStage } from './persist-stage.ts';

const event = (room: string, seq: number) =>
  JSON.stringify({
    messageId: randomUUID(),
    chatRoomCode: room,
    senderId: '7',
    senderName: 'Sender',
    content: `m${seq}`,
    messageType: 'TEXT',
    sequenceId: seq,
    fileUrl: null,
    acceptedAt: new Date().toISOString(),
  });

/**
 * A dispatcher whose partition was reassigned while it was busy cannot commit: the new owner initialised the
 * partition's transactional id, which fenced the old owner's producer. The output holds each message once.
 */
describe('persist stage zombie fencing (real Kafka and FerretDB)', () => {
  let bus: MessageBus;
  const archives: ArchiveHandle[] = [];
  const stages: PersistStage[] = [];

  beforeAll(() => {
    bus = createKafkaBus({ brokers: infra().CHAT_KAFKA_BROKERS, clientId: 'it-fencing' });
  });
  afterAll(async () => {
    await Promise.allSettled(stages.map((s) => s.stop()));
    await Promise.allSettled(archives.map((a) => a.close()));
  });

  it('refuses the commit of a dispatcher that lost its partition', async () => {
    const input = uniqueName('it-fence-in');
    const output = uniqueName('it-fence-out');
    const groupId = uniqueName('it-fence-group');
    const admin = await bus.admin();
    await admin.ensureTopics([input, output, `${input}.DLT`].map((topic) => ({ topic, partitions: 1, replicationFactor: 1 })));
    const room = randomUUID();
    const producer = await bus.producer();
    await producer.send(input, Array.from({ length: 50 }, (_, i) => ({ key: room, value: event(room, i + 1) })));
    await producer.close();

    const dbUrl = (db: string) => {
      const u = new URL(infra().CHAT_MONGO_URL);
      u.pathname = `/${db}`;
      return u.toString();
    };
    const dbName = uniqueName('it_fence').replace(/-/g, '_');
    const archiveA = await connectArchive(dbUrl(dbName));
    const archiveB = await connectArchive(dbUrl(dbName));
    archives.push(archiveA, archiveB);

    // Dispatcher A stalls after archiving its batch and right before its transaction (a GC pause, a slow
    // disk...), long enough to lose its group membership.
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let stalled = false;
    const beforeCommit = async () => {
      stalled = true;
      await gate;
    };

    const logger = createLogger('it-fencing', (process.env.TEST_LOG_LEVEL ?? 'silent') as 'info');
    const metricsA = createDispatcherMetrics(createMetricsRegistry('a'));
    const metricsB = createDispatcherMetrics(createMetricsRegistry('b'));
    const common = { bus, logger, groupId, inputTopic: input, outputTopic: output, sessionTimeoutMs: 6000 };
    const a = new PersistStage({ ...common, messages: archiveA.messages, metrics: metricsA, beforeCommit });
    stages.push(a);
    await a.start();
    await waitFor(() => stalled, 20_000);

    const b = new PersistStage({ ...common, messages: archiveB.messages, metrics: metricsB });
    stages.push(b);
    await b.start();
    // B takes the partition once A's session expired, archives and commits everything.
    await waitFor(async () => (await admin.groupOffsets(groupId, input))[0]?.offset === '50', 60_000, 250);

    release(); // A wakes up and tries to commit its stale batch
    await waitFor(async () => (await metricsA.fenced.get()).values[0]?.value === 1, 20_000, 100);

    // Only B's transaction is visible: each message exactly once downstream.
    const seen: IncomingRecord[] = [];
    const reader = bus.consumer({
      groupId: uniqueName('it-fence-reader'),
      topics: [output],
      readCommitted: true,
      onBatch: async (batch) => {
        seen.push(...batch.records);
        batch.markProcessed(batch.records.at(-1)!.offset);
      },
    });
    await reader.start();
    await waitFor(() => seen.length >= 50, 20_000);
    await new Promise((r) => setTimeout(r, 1500));
    await reader.stop();
    expect(seen).toHaveLength(50);
    expect(new Set(seen.map((r) => JSON.parse(r.value.toString()).sequenceId)).size).toBe(50);
    expect(await archiveB.messages.countDocuments({ chatRoomCode: room })).toBe(50);
    await admin.close();
  }, 120_000);
});
