import { createKafkaBus, type Admin, type MessageBus } from '@sunsu/kafka';
import { infra, uniqueName } from '@sunsu/testkit';

describe('MessageBus.readRange: bounded read (real KRaft broker)', () => {
  let bus: MessageBus;
  let admin: Admin;

  beforeAll(async () => {
    bus = createKafkaBus({ brokers: infra().CHAT_KAFKA_BROKERS, clientId: 'it-read-range' });
    admin = await bus.admin();
  });
  afterAll(async () => {
    await admin.close();
  });

  async function topic(partitions = 2): Promise<string> {
    const name = uniqueName('it-range');
    await admin.ensureTopics([{ topic: name, partitions, replicationFactor: 1 }]);
    return name;
  }

  it('reads every partition to the end seen at the start and stops, past transaction markers and aborted records', async () => {
    const t = await topic();
    const tp = await bus.transactionalProducer(uniqueName('it-range-tx'));
    await tp.inTransaction((tx) => tx.send(t, Array.from({ length: 6 }, (_, i) => ({ key: `k${i}`, value: `v${i}` }))));
    await expect(
      tp.inTransaction(async (tx) => {
        await tx.send(t, [{ key: 'k0', value: 'aborted' }]);
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    await tp.close();

    const started = Date.now();
    const committed = await bus.readRange({ topic: t, readCommitted: true });
    expect(Date.now() - started).toBeLessThan(8000);
    expect(committed.records.map((r) => r.value.toString()).sort()).toEqual(['v0', 'v1', 'v2', 'v3', 'v4', 'v5']);
    // Every partition ends with a control record (commit or abort marker), and still counts as read to the end.
    const ends = await admin.endOffsets(t);
    expect(committed.partitions.map((p) => [p.partition, p.from, p.next, p.end])).toEqual(
      ends.sort((a, b) => a.partition - b.partition).map((e) => [e.partition, '0', e.offset, e.offset]),
    );
    const positions = committed.records.map((r) => [r.partition, Number(r.offset)] as const);
    expect(positions).toEqual([...positions].sort((a, b) => a[0] - b[0] || a[1] - b[1]));
    expect(new Set(positions.map(([p]) => p)).size).toBe(2);

    const uncommitted = await bus.readRange({ topic: t, readCommitted: false });
    expect(uncommitted.records.map((r) => r.value.toString())).toContain('aborted');
  });

  it('starts at the given offsets and returns at once when there is nothing to read', async () => {
    const t = await topic(1);
    const producer = await bus.producer();
    await producer.send(t, ['a', 'b', 'c', 'd'].map((value) => ({ key: 'k', value })));
    await producer.close();
    const read = await bus.readRange({ topic: t, readCommitted: true, from: [{ topic: t, partition: 0, offset: '2' }] });
    expect(read.records.map((r) => [r.offset, r.value.toString(), r.key])).toEqual([
      ['2', 'c', 'k'],
      ['3', 'd', 'k'],
    ]);
    expect(read.partitions).toEqual([{ partition: 0, from: '2', end: '4', next: '4' }]);

    const started = Date.now();
    expect(await bus.readRange({ topic: t, readCommitted: true, from: [{ topic: t, partition: 0, offset: '4' }] })).toEqual({
      records: [],
      partitions: [{ partition: 0, from: '4', end: '4', next: '4' }],
    });
    expect((await bus.readRange({ topic: await topic(1), readCommitted: true })).records).toEqual([]);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('does not wait for a transaction that stays open: the end is the last stable offset seen at the start', async () => {
    const t = await topic(1);
    const producer = await bus.producer();
    await producer.send(t, [{ key: 'k', value: 'before' }]);
    await producer.close();
    const tp = await bus.transactionalProducer(uniqueName('it-range-open'));
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let sent!: () => void;
    const inFlight = new Promise<void>((r) => (sent = r));
    const open = tp.inTransaction(async (tx) => {
      await tx.send(t, [{ key: 'k', value: 'open' }]);
      sent();
      await held;
    });
    try {
      await inFlight;
      for (const readCommitted of [true, false]) {
        const started = Date.now();
        const read = await bus.readRange({ topic: t, readCommitted });
        expect(Date.now() - started).toBeLessThan(5000);
        expect(read.records.map((r) => r.value.toString())).toEqual(['before']);
        expect(read.partitions).toEqual([{ partition: 0, from: '0', end: '1', next: '1' }]);
      }
    } finally {
      release();
      await open;
      await tp.close();
    }
    const after = await bus.readRange({ topic: t, readCommitted: true });
    expect(after.records.map((r) => r.value.toString())).toEqual(['before', 'open']);
    expect(after.partitions).toEqual([{ partition: 0, from: '0', end: '3', next: '3' }]);
  });
});
