import type { Admin, TopicReconcileResult, TopicSpec } from '@sunsu/kafka';
import { parseSpec } from '../api/spec.ts';
import { rawSpec } from '../testing/fixtures.ts';
import { desiredTopics, reconcileTopics } from './topics.ts';

const spec = (topics: Record<string, number>) => {
  const p = parseSpec(rawSpec({ kafka: { bootstrapServers: 'k1:9092,k2:9092', topics } }));
  if (!p.ok) throw new Error(p.message);
  return p.spec;
};

/** An in-memory Kafka admin with ensureTopics semantics (create, grow, report shrink). */
function fakeAdmin(existing: Record<string, number>): Admin & { closed: boolean; asked: TopicSpec[] } {
  const topics = { ...existing };
  const a = {
    closed: false,
    asked: [] as TopicSpec[],
    async ensureTopics(specs: TopicSpec[]): Promise<TopicReconcileResult> {
      a.asked = specs;
      const r: TopicReconcileResult = { created: [], grown: [], cannotShrink: [] };
      for (const s of specs) {
        const have = topics[s.topic];
        if (have === undefined) { topics[s.topic] = s.partitions; r.created.push(s.topic); }
        else if (have < s.partitions) { r.grown.push({ topic: s.topic, from: have, to: s.partitions }); topics[s.topic] = s.partitions; }
        else if (have > s.partitions) r.cannotShrink.push({ topic: s.topic, actual: have, wanted: s.partitions });
      }
      return r;
    },
    async listTopics() { return Object.keys(topics); },
    async partitionCount(t: string) { return topics[t] ?? 0; },
    async groupOffsets() { return []; },
    async endOffsets() { return []; },
    async close() { a.closed = true; },
  };
  return a;
}

describe('desiredTopics', () => {
  it('asks for every platform topic and its dead-letter topic with partitions, replication and retention', () => {
    const t = desiredTopics(spec({ partitions: 12, replicationFactor: 3, retentionHours: 2 }));
    expect(t.map((x) => x.topic).sort()).toEqual(['chat-message', 'chat-message-saved', 'chat-message-saved.DLT', 'chat-message.DLT']);
    expect(t[0]).toMatchObject({ partitions: 12, replicationFactor: 3, config: { 'retention.ms': String(2 * 3600 * 1000) } });
  });
});

describe('reconcileTopics', () => {
  it('creates missing topics, grows others, and reports both as changes', async () => {
    const admin = fakeAdmin({ 'chat-message': 3 });
    let brokers: string[] = [];
    const out = await reconcileTopics(spec({ partitions: 6 }), async (b) => { brokers = b; return admin; });
    expect(brokers).toEqual(['k1:9092', 'k2:9092']);
    expect(out.condition).toMatchObject({ type: 'TopicsReady', status: 'True', reason: 'TopicsReconciled' });
    expect(out.changes).toEqual(expect.arrayContaining(['grew chat-message from 3 to 6 partitions', 'created topic chat-message-saved']));
    expect(out.topics).toContainEqual({ name: 'chat-message', partitions: 6 });
    expect(admin.closed).toBe(true);
  });

  it('refuses to shrink with a condition that names the topic and the counts', async () => {
    const admin = fakeAdmin({ 'chat-message': 12, 'chat-message-saved': 6, 'chat-message.DLT': 6, 'chat-message-saved.DLT': 6 });
    const out = await reconcileTopics(spec({ partitions: 6 }), async () => admin);
    expect(out.condition).toMatchObject({ status: 'False', reason: 'PartitionShrinkRefused' });
    expect(out.condition.message).toContain('chat-message has 12 partitions, spec asks for 6');
    expect(out.changes).toEqual([]);
  });

  it('turns an unreachable or hanging Kafka into a False condition within the timeout', async () => {
    const down = await reconcileTopics(spec({ partitions: 6 }), async () => { throw new Error('connect ECONNREFUSED'); });
    expect(down.condition).toMatchObject({ status: 'False', reason: 'KafkaUnavailable', message: 'connect ECONNREFUSED' });
    const started = Date.now();
    const hung = await reconcileTopics(spec({ partitions: 6 }), () => new Promise<Admin>(() => undefined), 50);
    expect(hung.condition.message).toContain('timed out after 50 ms');
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
