import { allTopics } from '@sunsu/contracts';
import type { Admin, TopicSpec } from '@sunsu/kafka';
import type { ChatClusterSpec } from '../api/spec.ts';
import type { ConditionInput } from '../status/conditions.ts';
import { CONDITION } from '../status/conditions.ts';

/** The platform's topics (and their dead-letter topics) as a ChatCluster asks for them. */
export function desiredTopics(spec: ChatClusterSpec): TopicSpec[] {
  const t = spec.kafka.topics;
  return allTopics().map((topic) => ({
    topic,
    partitions: t.partitions,
    replicationFactor: t.replicationFactor,
    config: { 'retention.ms': String(t.retentionHours * 3600 * 1000) },
  }));
}

export interface TopicOutcome {
  condition: ConditionInput;
  topics: { name: string; partitions: number }[];
  /** Human summary of what changed, for an Event; empty when nothing changed. */
  changes: string[];
}

/** Opens an admin connection to the cluster's Kafka; the reconciler passes a factory so tests can fake it. */
export type AdminFactory = (bootstrapServers: string[]) => Promise<Admin>;

const withTimeout = <T>(p: Promise<T>, ms: number, what: string): Promise<T> =>
  new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
    p.then((v) => { clearTimeout(timer); resolve(v); }, (e: unknown) => { clearTimeout(timer); reject(e as Error); });
  });

/**
 * Create missing topics and grow partitions. Kafka cannot remove partitions: a topic with more partitions than
 * asked is left alone and reported in the condition (the CRD already refuses lowering the number; this catches
 * topics that were grown outside the operator).
 */
export async function reconcileTopics(spec: ChatClusterSpec, openAdmin: AdminFactory, timeoutMs = 20_000): Promise<TopicOutcome> {
  const wanted = desiredTopics(spec);
  let admin: Admin | undefined;
  try {
    admin = await withTimeout(openAdmin(spec.kafka.bootstrapServers.split(',')), timeoutMs, 'connecting to Kafka');
    const a = admin;
    const result = await withTimeout(a.ensureTopics(wanted), timeoutMs, 'reconciling topics');
    const topics = await Promise.all(wanted.map(async (w) => ({ name: w.topic, partitions: await a.partitionCount(w.topic) })));
    const changes = [
      ...result.created.map((t) => `created topic ${t}`),
      ...result.grown.map((g) => `grew ${g.topic} from ${g.from} to ${g.to} partitions`),
    ];
    if (result.cannotShrink.length > 0) {
      const detail = result.cannotShrink.map((s) => `${s.topic} has ${s.actual} partitions, spec asks for ${s.wanted}`).join('; ');
      return {
        topics,
        changes,
        condition: { type: CONDITION.topics, status: 'False', reason: 'PartitionShrinkRefused', message: `Kafka cannot remove partitions: ${detail}; set spec.kafka.topics.partitions to at least the current count` },
      };
    }
    return { topics, changes, condition: { type: CONDITION.topics, status: 'True', reason: 'TopicsReconciled', message: `${wanted.length} topics with ${spec.kafka.topics.partitions} partitions` } };
  } catch (err) {
    return { topics: [], changes: [], condition: { type: CONDITION.topics, status: 'False', reason: 'KafkaUnavailable', message: (err as Error).message } };
  } finally {
    await admin?.close().catch(() => undefined);
  }
}
