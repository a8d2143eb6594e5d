import { randomUUID } from 'node:crypto';
import type { RoomPush } from '@sunsu/contracts';
import { createKafkaBus, type Admin, type MessageBus } from '@sunsu/kafka';
import { createLogger, createMetricsRegistry } from '@sunsu/observability';
import { infra, uniqueName, waitFor } from '@sunsu/testkit';
import { createDispatcherMetrics, type DispatcherMetrics } from '../metrics.ts';
import { FanOutStage, type FanOutRoomState } from './fanout-stage.ts';

const saved = (room: string, seq: number) =>
  JSON.stringify({
    messageId: randomUUID(),
    chatRoomCode: room,
    senderId: '7',
    senderName: 'Sender',
    content: `m${seq}`,
    messageType: 'TEXT',
    sequenceId: seq,
    fileUrl: null,
    createdAt: new Date().toISOString(),
  });

/** Room state whose batch call fails as told (one call per attempt); every room is held by `server-1`. */
function roomState(fail: (call: number) => boolean): FanOutRoomState & { calls: number } {
  const state = {
    calls: 0,
    async apply(rooms: { roomCode: string }[]) {
      state.calls++;
      if (fail(state.calls)) throw new Error(`room state unavailable (call ${state.calls})`);
      return new Map(rooms.map((r) => [r.roomCode, { servers: ['server-1'], present: [], moved: [], lastReads: new Map<string, number>() }]));
    },
  };
  return state;
}

const value = async (counter: DispatcherMetrics['fanOutParked']) => (await counter.get()).values[0]?.value ?? 0;

/**
 * The fan-out stage against a real Kafka with its room state failing: a batch is retried a bounded number of
 * times, then parked in the dead-letter topic once and committed past; a transient failure delivers once.
 */
describe('fan-out stage: bounded retries, then the dead-letter topic (real Kafka)', () => {
  let bus: MessageBus;
  let admin: Admin;
  const stages: FanOutStage[] = [];
  const logger = createLogger('it-fanout', (process.env.TEST_LOG_LEVEL ?? 'silent') as 'info');

  beforeAll(async () => {
    bus = createKafkaBus({ brokers: infra().CHAT_KAFKA_BROKERS, clientId: 'it-fanout-retry' });
    admin = await bus.admin();
  });
  afterAll(async () => {
    await Promise.allSettled(stages.map((s) => s.stop()));
    await admin.close();
  });

  /** An input topic with `count` saved events of one room plus `invalid` unparseable records, in one send. */
  async function setUp(count: number, invalid: number, state: FanOutRoomState, maxAttempts: number) {
    const input = uniqueName('it-fanout-in');
    const groupId = uniqueName('it-fanout-group');
    await admin.ensureTopics([input, `${input}.DLT`].map((topic) => ({ topic, partitions: 1, replicationFactor: 1 })));
    const room = randomUUID();
    const producer = await bus.producer();
    await producer.send(input, [
      ...Array.from({ length: count }, (_, i) => ({ key: room, value: saved(room, i + 1) })),
      ...Array.from({ length: invalid }, () => ({ key: room, value: 'not an event' })),
    ]);
    await producer.close();
    const delivered: RoomPush[] = [];
    const metrics = createDispatcherMetrics(createMetricsRegistry('it-fanout'));
    const stage = new FanOutStage({
      bus,
      roomState: state,
      inbox: {
        deliver: async (byServer) => {
          const pushes = [...byServer.values()].flat();
          delivered.push(...pushes);
          return pushes.length;
        },
      },
      logger,
      metrics,
      groupId,
      inputTopic: input,
      retry: { maxAttempts, baseDelayMs: 10 },
    });
    stages.push(stage);
    await stage.start();
    const end = (await admin.endOffsets(input))[0]!.offset;
    // Deterministic end of the test's work: the group committed everything there is.
    const committed = () => waitFor(async () => (await admin.groupOffsets(groupId, input))[0]?.offset === end, 30_000, 100);
    const deadLetters = async () => (await bus.readRange({ topic: `${input}.DLT`, readCommitted: true })).records;
    return { input, end, delivered, metrics, committed, deadLetters };
  }

  it('parks a batch whose room state always fails after N attempts: dead letters once, offset committed', async () => {
    const maxAttempts = 3;
    const state = roomState(() => true);
    const t = await setUp(5, 1, state, maxAttempts);
    await t.committed();

    const parked = await value(t.metrics.fanOutParked);
    expect(parked).toBeGreaterThanOrEqual(1);
    // Exactly N attempts per parked batch (one room-state call per attempt).
    expect(state.calls).toBe(maxAttempts * parked);
    expect(t.delivered).toEqual([]);

    const dead = await t.deadLetters();
    // Every input record exactly once, invalid one included, although each batch was attempted N times.
    expect(dead.map((r) => r.headers['dlt-source']).sort()).toEqual(Array.from({ length: 6 }, (_, i) => `${t.input}/0/${i}`).sort());
    expect(dead.every((r) => r.headers['dlt-stage'] === 'fan-out')).toBe(true);
    const reasons = dead.map((r) => r.headers['dlt-reason']!);
    expect(reasons.filter((r) => r.startsWith('invalid chat-message-saved event'))).toHaveLength(1);
    expect(reasons.filter((r) => r.startsWith(`fan-out gave up after ${maxAttempts} attempts: room state unavailable`))).toHaveLength(5);
    expect(await value(t.metrics.deadLettered)).toBe(6);
    expect(await value(t.metrics.fanOutRetries)).toBe((maxAttempts - 1) * parked);
  });

  it('delivers once and dead-letters nothing when the room state fails twice, then recovers', async () => {
    const state = roomState((call) => call <= 2);
    const t = await setUp(5, 0, state, 8);
    await t.committed();

    expect(await t.deadLetters()).toEqual([]);
    expect(await value(t.metrics.fanOutParked)).toBe(0);
    expect(await value(t.metrics.fanOutRetries)).toBe(2);
    const sequences = t.delivered.flatMap((p) => (p.kind === 'message' ? [p.message.sequenceId] : []));
    expect(sequences).toEqual([1, 2, 3, 4, 5]);
  });
});
