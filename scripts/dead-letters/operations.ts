/**
 * List and replay dead letters through the MessageBus port. Reads are bounded (up to the end offsets seen at
 * the start); replay progress lives in a consumer group's committed offsets on the `*.DLT` topic.
 */
import type { Admin, MessageBus, OutgoingRecord, TopicPartitionOffset, TransactionalProducer } from '@sunsu/kafka';
import { DLT_SUFFIX, REPLAY_GROUP, isDeadLetterTopic, positionOf, replayRecord, viewOf, type DeadLetterView } from './records.ts';

/** Missing, unknown or non-dead-letter topic: the operator's mistake (the CLI exits with 2). */
export class TopicError extends Error {
  override name = 'TopicError';
}

export interface ListOptions {
  /** One `*.DLT` topic; default: every topic whose name ends with `.DLT`. */
  topic?: string;
  /** Records shown per topic, oldest first; default: all. Counts always cover every record. */
  limit?: number;
  /** Replay progress group (tests give their own). */
  group?: string;
}

export interface TopicListing {
  topic: string;
  /** Dead letters the topic holds (committed records still within retention). */
  total: number;
  notReplayed: number;
  records: DeadLetterView[];
  /** Partitions whose read stalled before the end (see ReadRangeOptions.idleTimeoutMs). */
  incomplete: number[];
}

export interface ReplayOptions {
  topic: string;
  /** Replay at most this many (oldest first per partition, partitions in order); default: all. */
  limit?: number;
  dryRun?: boolean;
  group?: string;
  /** Records per transaction; default 500. */
  chunkSize?: number;
}

export interface ReplayedRecord {
  /** `<dlt topic>/<partition>/<offset>`, also sent as `dlt-replayed-from`. */
  from: string;
  to: string;
  key: string | null;
  reason: string | null;
}

export interface ReplayReport {
  topic: string;
  group: string;
  dryRun: boolean;
  /** Dead letters not yet replayed when the run started. */
  pending: number;
  /** Replayed by this run (or, for a dry run, that would be). */
  replayed: ReplayedRecord[];
  /** Still not replayed after this run. */
  remaining: number;
  incomplete: number[];
}

function checkTopic(topic: string, existing: string[]): void {
  if (!isDeadLetterTopic(topic)) throw new TopicError(`${topic} is not a dead-letter topic (expected <name>${DLT_SUFFIX})`);
  if (!existing.includes(topic)) {
    const known = existing.filter(isDeadLetterTopic).sort();
    const shown = known.length === 0 ? '(none)' : known.length <= 10 ? known.join(', ') : `${known.slice(0, 10).join(', ')}, … ${known.length - 10} more`;
    throw new TopicError(`unknown topic ${topic}; dead-letter topics: ${shown}`);
  }
}

/** Committed replay offsets per partition (-1 when the group never replayed from it). */
async function replayedBefore(admin: Admin, group: string, topic: string): Promise<Map<number, bigint>> {
  return new Map((await admin.groupOffsets(group, topic)).map((o) => [o.partition, BigInt(o.offset)]));
}

const incompleteOf = (partitions: { partition: number; next: string; end: string }[]) =>
  partitions.filter((p) => BigInt(p.next) < BigInt(p.end)).map((p) => p.partition);

export async function listDeadLetters(bus: MessageBus, options: ListOptions = {}): Promise<TopicListing[]> {
  const group = options.group ?? REPLAY_GROUP;
  const admin = await bus.admin();
  try {
    const existing = await admin.listTopics();
    let topics: string[];
    if (options.topic !== undefined) {
      checkTopic(options.topic, existing);
      topics = [options.topic];
    } else {
      topics = existing.filter(isDeadLetterTopic).sort();
    }
    const listings: TopicListing[] = [];
    for (const topic of topics) {
      const committed = await replayedBefore(admin, group, topic);
      const read = await bus.readRange({ topic, readCommitted: true });
      const views = read.records.map((r) => viewOf(r, committed.get(r.partition) ?? -1n));
      listings.push({
        topic,
        total: views.length,
        notReplayed: views.filter((v) => !v.replayed).length,
        records: options.limit === undefined ? views : views.slice(0, options.limit),
        incomplete: incompleteOf(read.partitions),
      });
    }
    return listings;
  } finally {
    await admin.close();
  }
}

/** Consecutive records with the same target topic, so one `send` per run keeps their order. */
function runsByTopic(items: { topic: string; record: OutgoingRecord }[]): { topic: string; records: OutgoingRecord[] }[] {
  const runs: { topic: string; records: OutgoingRecord[] }[] = [];
  for (const item of items) {
    const last = runs.at(-1);
    if (last && last.topic === item.topic) last.records.push(item.record);
    else runs.push({ topic: item.topic, records: [item.record] });
  }
  return runs;
}

/**
 * Re-produce the dead letters of `topic` that the replay group has not yet passed. Each chunk of a partition is
 * one Kafka transaction: the records are sent (and acknowledged) to their source topics, then the group's offset
 * after the chunk is committed with them, so a crash either replays a chunk and records it, or neither.
 *
 * The transactional id is fixed per group and topic and initialised before the progress is read: a replay of the
 * same topic started meanwhile fences this one (its next transaction fails with ProducerFencedError) and reads
 * the progress after this one's last transaction completed, so no dead letter is sent twice. A dry run reads only.
 */
export async function replayDeadLetters(bus: MessageBus, options: ReplayOptions): Promise<ReplayReport> {
  const { topic } = options;
  const group = options.group ?? REPLAY_GROUP;
  const chunkSize = options.chunkSize ?? 500;
  const dryRun = options.dryRun ?? false;
  const admin = await bus.admin();
  let producer: TransactionalProducer | undefined;
  try {
    const existing = await admin.listTopics();
    checkTopic(topic, existing);
    if (!dryRun) {
      producer = await bus.transactionalProducer(`${group}-${topic}`);
      await producer.init();
    }
    const committed = await replayedBefore(admin, group, topic);
    const from: TopicPartitionOffset[] = [...committed].filter(([, o]) => o >= 0n).map(([partition, o]) => ({ topic, partition, offset: o.toString() }));
    const read = await bus.readRange({ topic, readCommitted: true, from });
    const selected = options.limit === undefined ? read.records : read.records.slice(0, options.limit);
    const plan = selected.map((deadLetter) => ({ deadLetter, ...replayRecord(deadLetter) }));

    const missing = [...new Set(plan.map((p) => p.topic))].filter((t) => !existing.includes(t));
    if (missing.length > 0) throw new TopicError(`source topic ${missing.join(', ')} of dead letters in ${topic} does not exist`);

    for (const partition of producer ? read.partitions : []) {
      const items = plan.filter((p) => p.deadLetter.partition === partition.partition);
      const all = items.length === read.records.filter((r) => r.partition === partition.partition).length;
      for (let i = 0; i < items.length; i += chunkSize) {
        const chunk = items.slice(i, i + chunkSize);
        const last = chunk.at(-1)!.deadLetter;
        // After the partition's last pending record, skip what follows it (transaction markers) too.
        const next = all && i + chunkSize >= items.length ? partition.next : (BigInt(last.offset) + 1n).toString();
        await producer!.inTransaction(async (tx) => {
          for (const run of runsByTopic(chunk)) await tx.send(run.topic, run.records);
          await tx.sendOffsets(group, [{ topic, partition: partition.partition, offset: next }]);
        });
      }
    }
    return {
      topic,
      group,
      dryRun,
      pending: read.records.length,
      replayed: plan.map((p) => ({ from: positionOf(p.deadLetter), to: p.topic, key: p.deadLetter.key, reason: p.deadLetter.headers['dlt-reason'] ?? null })),
      remaining: read.records.length - (dryRun ? 0 : plan.length),
      incomplete: incompleteOf(read.partitions),
    };
  } finally {
    await producer?.close();
    await admin.close();
  }
}
