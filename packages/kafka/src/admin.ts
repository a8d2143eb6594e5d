import type { Kafka } from 'kafkajs';
import type { Admin, TopicReconcileResult, TopicSpec } from './port.ts';

/** Topic reconciliation and offset queries. */
export class KafkajsAdmin implements Admin {
  private readonly admin: ReturnType<Kafka['admin']>;
  constructor(admin: ReturnType<Kafka['admin']>) {
    this.admin = admin;
  }

  async ensureTopics(specs: TopicSpec[]): Promise<TopicReconcileResult> {
    const result: TopicReconcileResult = { created: [], grown: [], cannotShrink: [] };
    const existing = new Set(await this.admin.listTopics());
    const missing = specs.filter((s) => !existing.has(s.topic));
    if (missing.length > 0) {
      await this.admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((s) => ({
          topic: s.topic,
          numPartitions: s.partitions,
          replicationFactor: s.replicationFactor,
          configEntries: Object.entries(s.config ?? {}).map(([name, value]) => ({ name, value })),
        })),
      });
      result.created.push(...missing.map((s) => s.topic));
    }
    for (const spec of specs.filter((s) => existing.has(s.topic))) {
      const actual = await this.partitionCount(spec.topic);
      if (actual < spec.partitions) {
        await this.admin.createPartitions({ topicPartitions: [{ topic: spec.topic, count: spec.partitions }] });
        result.grown.push({ topic: spec.topic, from: actual, to: spec.partitions });
      } else if (actual > spec.partitions) {
        result.cannotShrink.push({ topic: spec.topic, actual, wanted: spec.partitions });
      }
    }
    return result;
  }

  listTopics() {
    return this.admin.listTopics();
  }

  async partitionCount(topic: string) {
    const md = await this.admin.fetchTopicMetadata({ topics: [topic] });
    return md.topics[0]?.partitions.length ?? 0;
  }

  async groupOffsets(groupId: string, topic: string) {
    const res = await this.admin.fetchOffsets({ groupId, topics: [topic] });
    return (res[0]?.partitions ?? []).map((p) => ({ topic, partition: p.partition, offset: p.offset }));
  }

  async endOffsets(topic: string) {
    const res = await this.admin.fetchTopicOffsets(topic);
    return res.map((p) => ({ topic, partition: p.partition, offset: p.high }));
  }

  async close() {
    await this.admin.disconnect();
  }
}
