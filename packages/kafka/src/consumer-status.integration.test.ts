import { createKafkaBus, type Admin, type Consumer, type MessageBus } from '@sunsu/kafka';
import { infra, uniqueName, waitFor } from '@sunsu/testkit';

/** A consumer that is no longer consuming says so, so that readiness can fail instead of idling silently. */
describe('Consumer status (real KRaft broker)', () => {
  let bus: MessageBus;
  let admin: Admin;
  const consumers: Consumer[] = [];

  beforeAll(async () => {
    bus = createKafkaBus({ brokers: infra().CHAT_KAFKA_BROKERS, clientId: 'it-consumer-status' });
    admin = await bus.admin();
  });
  afterAll(async () => {
    await Promise.allSettled(consumers.map((c) => c.stop()));
    await admin.close();
  });

  async function topicWithOneRecord(): Promise<string> {
    const topic = uniqueName('it-status');
    await admin.ensureTopics([{ topic, partitions: 1, replicationFactor: 1 }]);
    const producer = await bus.producer();
    await producer.send(topic, [{ key: 'k', value: 'v' }]);
    await producer.close();
    return topic;
  }

  it('reports a crash kafkajs does not restart from: not running, not joined, no partitions', async () => {
    const topic = await topicWithOneRecord();
    let calls = 0;
    const consumer = bus.consumer({
      groupId: uniqueName('it-status-crash'),
      topics: [topic],
      readCommitted: true,
      onBatch: async () => {
        calls++;
        // A programming error: kafkajs gives up at once (no retry, no restart).
        throw new TypeError('handler bug');
      },
    });
    consumers.push(consumer);
    expect(consumer.status()).toEqual({ state: 'idle' });
    expect(consumer.isRunning()).toBe(false);
    await consumer.start();
    await waitFor(() => consumer.status().state === 'crashed', 20_000);
    expect(consumer.status()).toEqual({ state: 'crashed', error: expect.stringContaining('handler bug') });
    expect(consumer.isRunning()).toBe(false);
    expect(consumer.hasJoined()).toBe(false);
    expect(consumer.assignment()).toEqual([]);
    expect(calls).toBe(1);
  });

  it('reports running once joined and stopped after stop()', async () => {
    const topic = await topicWithOneRecord();
    let seen = 0;
    const consumer = bus.consumer({
      groupId: uniqueName('it-status-stop'),
      topics: [topic],
      readCommitted: true,
      onBatch: async (batch) => {
        seen += batch.records.length;
        await batch.commit(batch.records.at(-1)!.offset);
      },
    });
    consumers.push(consumer);
    await consumer.start();
    expect(consumer.status()).toEqual({ state: 'running' });
    expect(consumer.isRunning()).toBe(true);
    expect(consumer.hasJoined()).toBe(true);
    expect(consumer.assignment()).toEqual([{ topic, partition: 0 }]);
    await waitFor(() => seen === 1, 20_000);
    await consumer.stop();
    expect(consumer.status()).toEqual({ state: 'stopped' });
    expect(consumer.isRunning()).toBe(false);
    expect(consumer.hasJoined()).toBe(false);
    expect(consumer.assignment()).toEqual([]);
  });
});
