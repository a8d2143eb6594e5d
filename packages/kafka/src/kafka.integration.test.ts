import { createKafkaBus, ProducerFencedError, type MessageBus, type Admin, type IncomingRecord } from '@sunsu/kafka';
import { infra, uniqueName, waitFor } from '@sunsu/testkit';

/** Read every record of a topic with a fresh group until `expected` arrived, plus a quiet period to catch extras. */
async function readAll(bus: MessageBus, topic: string, readCommitted: boolean, expected: number): Promise<IncomingRecord[]> {
  const seen: IncomingRecord[] = [];
  const consumer = bus.consumer({
    groupId: uniqueName('it-reader'),
    topics: [topic],
    readCommitted,
    onBatch: async (batch) => {
      seen.push(...batch.records);
      batch.markProcessed(batch.records.at(-1)!.offset);
    },
  });
  await consumer.start();
  try {
    await waitFor(() => seen.length >= expected, 30_000);
    await new Promise((r) => setTimeout(r, 1500));
  } finally {
    await consumer.stop();
  }
  return seen;
}

describe('Kafka through the adapter (real KRaft broker)', () => {
  let bus: MessageBus;
  let admin: Admin;

  beforeAll(async () => {
    bus = createKafkaBus({ brokers: infra().CHAT_KAFKA_BROKERS, clientId: 'it-kafka' });
    admin = await bus.admin();
  });
  afterAll(async () => {
    await admin.close();
  });

  it('runs consume-transform-produce in transactions with sendOffsets; read_committed sees each output once', async () => {
    const input = uniqueName('it-in');
    const output = uniqueName('it-out');
    const group = uniqueName('it-ctp');
    await admin.ensureTopics([input, output].map((topic) => ({ topic, partitions: 2, replicationFactor: 1 })));

    const producer = await bus.producer();
    await producer.send(input, Array.from({ length: 100 }, (_, i) => ({ key: `room-${i % 7}`, value: `msg-${i}` })));
    await producer.close();

    const txProducers = new Map<number, Awaited<ReturnType<MessageBus['transactionalProducer']>>>();
    let transformed = 0;
    const consumer = bus.consumer({
      groupId: group,
      topics: [input],
      readCommitted: true,
      onBatch: async (batch) => {
        let tp = txProducers.get(batch.partition);
        if (!tp) {
          tp = await bus.transactionalProducer(`${group}-${input}-${batch.partition}`);
          txProducers.set(batch.partition, tp);
        }
        const last = batch.records.at(-1)!.offset;
        await tp.inTransaction(async (tx) => {
          await tx.send(output, batch.records.map((r) => ({ key: r.key, value: r.value.toString().toUpperCase() })));
          await tx.sendOffsets(group, [{ topic: input, partition: batch.partition, offset: (BigInt(last) + 1n).toString() }]);
        });
        batch.markProcessed(last);
        transformed += batch.records.length;
      },
    });
    await consumer.start();
    await waitFor(() => transformed >= 100, 30_000);
    await consumer.stop();
    for (const tp of txProducers.values()) await tp.close();

    const out = await readAll(bus, output, true, 100);
    expect(out).toHaveLength(100);
    expect(new Set(out.map((r) => r.value.toString())).size).toBe(100);
    expect(out.every((r) => r.value.toString().startsWith('MSG-'))).toBe(true);

    // The offsets went in with the transactions: the group's committed position is the end of the input.
    const committed = await admin.groupOffsets(group, input);
    const ends = await admin.endOffsets(input);
    expect(committed.sort((a, b) => a.partition - b.partition).map((o) => o.offset)).toEqual(
      ends.sort((a, b) => a.partition - b.partition).map((o) => o.offset),
    );
  });

  it('hides an aborted transaction from read_committed consumers', async () => {
    const topic = uniqueName('it-abort');
    await admin.ensureTopics([{ topic, partitions: 1, replicationFactor: 1 }]);
    const tp = await bus.transactionalProducer(uniqueName('it-abort-tx'));
    await expect(
      tp.inTransaction(async (tx) => {
        await tx.send(topic, [{ key: 'k', value: 'aborted' }]);
        throw new Error('handler failed');
      }),
    ).rejects.toThrow('handler failed');
    await tp.inTransaction(async (tx) => tx.send(topic, [{ key: 'k', value: 'committed' }]));
    await tp.close();

    const committedView = await readAll(bus, topic, true, 1);
    expect(committedView.map((r) => r.value.toString())).toEqual(['committed']);
    const uncommittedView = await readAll(bus, topic, false, 2);
    expect(uncommittedView.map((r) => r.value.toString())).toEqual(['aborted', 'committed']);
  });

  it('fences the older of two producers with the same transactional id', async () => {
    const topic = uniqueName('it-fence');
    await admin.ensureTopics([{ topic, partitions: 1, replicationFactor: 1 }]);
    const id = uniqueName('it-fence-tx');
    const zombie = await bus.transactionalProducer(id);
    await zombie.inTransaction(async (tx) => tx.send(topic, [{ key: 'k', value: 'zombie-1' }]));

    const successor = await bus.transactionalProducer(id);
    await successor.inTransaction(async (tx) => tx.send(topic, [{ key: 'k', value: 'successor-1' }]));

    await expect(zombie.inTransaction(async (tx) => tx.send(topic, [{ key: 'k', value: 'zombie-2' }]))).rejects.toBeInstanceOf(
      ProducerFencedError,
    );
    await zombie.close();
    await successor.close();

    const seen = await readAll(bus, topic, true, 2);
    expect(seen.map((r) => r.value.toString())).toEqual(['zombie-1', 'successor-1']);
  });

  it('creates topics idempotently, grows partitions and refuses to shrink', async () => {
    const topic = uniqueName('it-topics');
    expect((await admin.ensureTopics([{ topic, partitions: 2, replicationFactor: 1 }])).created).toEqual([topic]);
    expect((await admin.ensureTopics([{ topic, partitions: 2, replicationFactor: 1 }])).created).toEqual([]);
    expect((await admin.ensureTopics([{ topic, partitions: 4, replicationFactor: 1 }])).grown).toEqual([{ topic, from: 2, to: 4 }]);
    expect((await admin.ensureTopics([{ topic, partitions: 3, replicationFactor: 1 }])).cannotShrink).toEqual([{ topic, actual: 4, wanted: 3 }]);
    expect(await admin.partitionCount(topic)).toBe(4);
  });
});
