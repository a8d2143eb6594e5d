import type { Kafka, Consumer as KjsConsumer } from 'kafkajs';
import { isAssignmentLost } from './errors.ts';
import { AssignmentLostError, type Consumer, type ConsumerOptions, type ConsumerStatus, type TopicPartition, type TopicPartitionOffset } from './port.ts';
import { toIncoming } from './records.ts';
import { RETRY } from './retry.ts';

const next = (offset: string) => (BigInt(offset) + 1n).toString();
const key = (tp: TopicPartition) => `${tp.topic}/${tp.partition}`;

/**
 * A group member that hands whole batches to `onBatch` and commits only what the handler says. Its state follows
 * kafkajs' instrumentation events, so a consumer that crashed (and is not restarted) or stopped reports it:
 * `GROUP_JOIN` → running; `STOP` → stopped (kafkajs also stops before restarting after a crash); `CRASH` →
 * restarting or crashed, as kafkajs decided.
 */
export class KafkajsConsumer implements Consumer {
  private readonly consumer: KjsConsumer;
  private readonly options: ConsumerOptions;
  private current: TopicPartition[] = [];
  private lifecycle: ConsumerStatus = { state: 'idle' };
  private stopRequested = false;

  constructor(kafka: Kafka, options: ConsumerOptions) {
    this.options = options;
    this.consumer = kafka.consumer({
      groupId: options.groupId,
      readUncommitted: !options.readCommitted,
      maxBytesPerPartition: options.maxBytesPerPartition ?? 1_048_576,
      sessionTimeout: options.sessionTimeoutMs ?? 10_000,
      // Our batches are short, so live members rejoin quickly; a long timeout only delays rebalances.
      rebalanceTimeout: options.rebalanceTimeoutMs ?? 10_000,
      heartbeatInterval: Math.min(3000, Math.floor((options.sessionTimeoutMs ?? 10_000) / 3)),
      // The broker answers a fetch once `minBytes` are there or after the wait. A read-committed fetch was seen
      // to sit out its whole wait after the commit that made data visible (100 ms put ~500 ms into p99 at
      // 200 msg/s), so the wait is also the delay such a consumer may add: keep it short.
      minBytes: options.minBytes ?? 1,
      maxWaitTimeInMs: options.maxWaitMs ?? 20,
      retry: RETRY,
    });
    const { GROUP_JOIN, STOP, CRASH } = this.consumer.events;
    this.consumer.on(GROUP_JOIN, (event) => {
      if (this.stopRequested || this.lifecycle.state === 'crashed') return;
      this.reassign(
        Object.entries(event.payload.memberAssignment).flatMap(([topic, partitions]) => (partitions as number[]).map((partition) => ({ topic, partition }))),
      );
      this.lifecycle = { state: 'running' };
    });
    this.consumer.on(STOP, () => {
      // A stopped member owns nothing, also on the way to a restart after a crash (it rejoins from scratch).
      this.reassign([]);
      if (this.lifecycle.state !== 'crashed') this.lifecycle = { state: 'stopped' };
    });
    this.consumer.on(CRASH, (event) => {
      if (this.stopRequested) return;
      this.lifecycle = { state: event.payload.restart ? 'restarting' : 'crashed', error: event.payload.error.message };
    });
  }

  /** Report the partitions gained and lost since the previous assignment. */
  private reassign(next: TopicPartition[]) {
    const before = new Set(this.current.map(key));
    const after = new Set(next.map(key));
    const assigned = next.filter((tp) => !before.has(key(tp)));
    const revoked = this.current.filter((tp) => !after.has(key(tp)));
    this.current = next;
    if (assigned.length === 0 && revoked.length === 0) return;
    void Promise.resolve(this.options.onAssignment?.({ assigned, revoked })).catch(() => undefined);
  }

  async start() {
    this.lifecycle = { state: 'starting' };
    try {
      await this.consumer.connect();
      for (const topic of this.options.topics) {
        await this.consumer.subscribe({ topic, fromBeginning: this.options.fromBeginning ?? true });
      }
      await this.consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently ?? 1,
        eachBatch: async ({ batch, resolveOffset, heartbeat, isStale, isRunning }) => {
          if (batch.messages.length === 0) return;
          await this.options.onBatch({
            topic: batch.topic,
            partition: batch.partition,
            records: batch.messages.map((m) => toIncoming(batch.topic, batch.partition, m)),
            heartbeat: async () => {
              try {
                await heartbeat();
              } catch (err) {
                if (isAssignmentLost(err)) throw new AssignmentLostError(`lost ${batch.topic}/${batch.partition}: ${(err as Error).message}`);
                throw err;
              }
            },
            isStale: () => isStale() || !isRunning(),
            markProcessed: (offset) => resolveOffset(offset),
            commit: async (offset) => {
              await this.consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: next(offset) }]);
              resolveOffset(offset);
            },
          });
        },
      });
    } catch (err) {
      this.lifecycle = { state: 'crashed', error: (err as Error).message };
      throw err;
    }
  }

  assignment() {
    return [...this.current];
  }

  status() {
    return { ...this.lifecycle };
  }

  isRunning() {
    return this.lifecycle.state === 'starting' || this.lifecycle.state === 'running';
  }

  hasJoined() {
    return this.lifecycle.state === 'running';
  }

  seek(tp: TopicPartitionOffset) {
    this.consumer.seek(tp);
  }

  async stop() {
    this.stopRequested = true;
    await this.consumer.disconnect();
    this.reassign([]);
    this.lifecycle = { state: 'stopped' };
  }
}
