import { CONSUMER_GROUPS, TOPICS, deadLetterTopic } from '@sunsu/contracts';
import { insertBatch, type MessageModel } from '@sunsu/archive';
import {
  AssignmentLostError,
  ProducerFencedError,
  type Consumer,
  type ConsumerStatus,
  type IncomingBatch,
  type MessageBus,
  type OutgoingRecord,
  type TransactionalProducer,
} from '@sunsu/kafka';
import type { Logger } from '@sunsu/observability';
import { deadLetter } from '../dead-letter.ts';
import type { DispatcherMetrics } from '../metrics.ts';
import { sourceOf, toDocument, toSavedEvent } from './documents.ts';

export const PERSIST_FETCH_MIN_BYTES = 32 * 1024;
export const PERSIST_FETCH_MAX_WAIT_MS = 20;

export interface PersistStageDeps {
  bus: MessageBus;
  messages: MessageModel;
  logger: Logger;
  metrics: DispatcherMetrics;
  groupId?: string;
  /** Topics (defaults: the platform's); tests give their own. */
  inputTopic?: string;
  outputTopic?: string;
  sessionTimeoutMs?: number;
  /** Test seam: runs after the archive write, right before the Kafka transaction (where a zombie would stall). */
  beforeCommit?: () => Promise<void>;
  /** Transient failures (Mongo, Kafka) are retried this many times with backoff before the batch fails. */
  maxAttempts?: number;
}

/**
 * Persist stage: `chat-message` → MongoDB → `chat-message-saved`, exactly once per message.
 *
 * One Kafka transaction per batch: insert the batch into the archive (idempotent: `_id` = room:sender:messageId,
 * ordered:false insert, duplicates read back), then produce the saved events and the consumer offsets in one
 * transaction and commit. A crash anywhere before the commit redelivers the batch; the archive keeps the first
 * copy and the saved event of a document is emitted only by the record that created it (`source`), so
 * `chat-message-saved` holds each message exactly once for read_committed readers.
 *
 * Zombie fencing without KIP-447 (kafkajs' sendOffsets cannot carry the consumer generation): one transactional
 * id per input partition (`<group>-<topic>-<partition>`). Whoever owns the partition initialises that id, which
 * fences any previous owner's producer: a dispatcher that lost the partition cannot commit its batch.
 */
export class PersistStage {
  private readonly deps: PersistStageDeps;
  private readonly groupId: string;
  private readonly inputTopic: string;
  private readonly outputTopic: string;
  /** One initialised transactional producer per owned input partition (a promise, so init runs once). */
  private readonly producers = new Map<number, Promise<TransactionalProducer>>();
  /** Partitions whose producer was fenced: never re-initialise (that would fence the new owner) until reassigned. */
  private readonly fenced = new Set<number>();
  private consumer: Consumer | undefined;

  constructor(deps: PersistStageDeps) {
    this.deps = deps;
    this.groupId = deps.groupId ?? CONSUMER_GROUPS.persist;
    this.inputTopic = deps.inputTopic ?? TOPICS.chatMessage;
    this.outputTopic = deps.outputTopic ?? TOPICS.chatMessageSaved;
  }

  async start(): Promise<void> {
    this.consumer = this.deps.bus.consumer({
      groupId: this.groupId,
      topics: [this.inputTopic],
      readCommitted: true,
      maxBytesPerPartition: 512 * 1024,
      // One transaction per partition and fetch is the stage's main cost (about ten broker requests each): a
      // fetch waits up to 20 ms for ~100 messages, so a transaction carries many messages at moderate rates.
      minBytes: PERSIST_FETCH_MIN_BYTES,
      maxWaitMs: PERSIST_FETCH_MAX_WAIT_MS,
      ...(this.deps.sessionTimeoutMs ? { sessionTimeoutMs: this.deps.sessionTimeoutMs } : {}),
      partitionsConsumedConcurrently: 6,
      onBatch: (batch) => this.onBatch(batch),
      onAssignment: async ({ assigned, revoked }) => {
        for (const tp of revoked) {
          const producer = this.producers.get(tp.partition);
          this.producers.delete(tp.partition);
          await producer?.then((p) => p.close()).catch(() => undefined);
        }
        for (const tp of assigned) {
          this.fenced.delete(tp.partition);
          // Take ownership at once: initialising the partition's transactional id fences the previous owner.
          void this.producerFor(tp.partition).catch((err) => this.deps.logger.warn({ err, partition: tp.partition }, 'producer init failed'));
        }
        this.deps.logger.info({ assigned, revoked }, 'persist stage assignment changed');
      },
    });
    await this.consumer.start();
  }

  /** Ready while the stage's consumer is running in its group (not before the join, not after a crash or stop). */
  consumerStatus(): ConsumerStatus {
    return this.consumer?.status() ?? { state: 'idle' };
  }

  async stop(): Promise<void> {
    await this.consumer?.stop();
    await Promise.allSettled([...this.producers.values()].map(async (p) => (await p).close()));
    this.producers.clear();
  }

  private producerFor(partition: number): Promise<TransactionalProducer> {
    let producer = this.producers.get(partition);
    if (!producer) {
      producer = (async () => {
        const p = await this.deps.bus.transactionalProducer(`${this.groupId}-${this.inputTopic}-${partition}`);
        await p.init();
        return p;
      })();
      producer.catch(() => this.producers.delete(partition));
      this.producers.set(partition, producer);
    }
    return producer;
  }

  private async onBatch(batch: IncomingBatch): Promise<void> {
    const log = this.deps.logger;
    log.debug({ partition: batch.partition, records: batch.records.length, first: batch.records[0]?.offset }, 'persist batch');
    const maxAttempts = this.deps.maxAttempts ?? 8;
    for (let attempt = 1; ; attempt++) {
      if (batch.isStale() || this.fenced.has(batch.partition)) {
        log.debug({ partition: batch.partition, stale: batch.isStale(), fenced: this.fenced.has(batch.partition) }, 'skipping batch of a partition being taken away');
        // The partition is being taken away: leave the batch to its next owner.
        await new Promise((r) => setTimeout(r, 200));
        return;
      }
      const started = performance.now();
      try {
        const producer = await this.producerFor(batch.partition);
        const count = await this.persistOnce(batch, producer);
        batch.markProcessed(batch.records.at(-1)!.offset);
        this.deps.metrics.persisted.inc(count);
        this.deps.metrics.persistBatchSeconds.observe((performance.now() - started) / 1000);
        return;
      } catch (err) {
        if (err instanceof AssignmentLostError) {
          log.warn({ partition: batch.partition }, 'partition lost in a rebalance: leaving the batch to its next owner');
          return;
        }
        if (err instanceof ProducerFencedError) {
          log.warn({ partition: batch.partition }, 'persist producer fenced: partition now owned by another dispatcher');
          this.fenced.add(batch.partition);
          this.producers.delete(batch.partition);
          this.deps.metrics.fenced.inc();
          return;
        }
        this.deps.metrics.persistRetries.inc();
        if (attempt >= maxAttempts) {
          log.error({ err, partition: batch.partition, attempt }, 'persist batch failed; the consumer will restart and redeliver it');
          throw err;
        }
        const delay = Math.min(50 * 2 ** attempt, 5000);
        log.warn({ err: (err as Error).message, partition: batch.partition, attempt, delay }, 'persist batch failed, retrying');
        await new Promise((r) => setTimeout(r, delay));
        await batch.heartbeat().catch(() => undefined);
      }
    }
  }

  /** One attempt: archive the batch, then commit saved events + dead letters + offsets atomically. */
  private async persistOnce(batch: IncomingBatch, producer: TransactionalProducer): Promise<number> {
    const now = new Date();
    const parsed = batch.records.map((r) => toDocument(r, now));
    const dead: OutgoingRecord[] = [];
    const valid = [];
    for (const p of parsed) {
      if (p.ok) valid.push(p);
      else dead.push(deadLetter(p.record, p.reason, 'persist'));
    }
    const endInsert = this.deps.metrics.persistInsertSeconds.startTimer();
    const result = await insertBatch(this.deps.messages, valid.map((p) => p.doc));
    endInsert();
    await batch.heartbeat();
    if (result.alreadyStored.length > 0) {
      this.deps.metrics.redelivered.inc(result.alreadyStored.length);
      this.deps.logger.info({ partition: batch.partition, alreadyStored: result.alreadyStored.length }, 'redelivered or resent messages found already archived');
    }

    const conflicts = new Set(result.sequenceConflicts.map((d) => d._id));
    for (const p of valid) {
      if (conflicts.has(p.doc._id)) {
        this.deps.metrics.sequenceConflicts.inc();
        this.deps.logger.error({ roomCode: p.doc.chatRoomCode, sequenceId: p.doc.sequenceId, messageId: p.doc.messageId }, 'sequence already used by another message');
        dead.push(deadLetter(p.record, `sequence ${p.doc.sequenceId} of room ${p.doc.chatRoomCode} already used by another message`, 'persist'));
      }
    }
    // Emit a saved event only from the record that created the stored document.
    const storedById = new Map(result.stored.map((d) => [d._id, d]));
    const saved: OutgoingRecord[] = [];
    for (const p of valid) {
      const stored = storedById.get(p.doc._id);
      if (!stored || conflicts.has(p.doc._id) || (stored.source !== undefined && stored.source !== sourceOf(p.record))) continue;
      saved.push({ key: stored.chatRoomCode, value: JSON.stringify(toSavedEvent(stored)) });
    }

    const next = (BigInt(batch.records.at(-1)!.offset) + 1n).toString();
    await this.deps.beforeCommit?.();
    const endCommit = this.deps.metrics.persistCommitSeconds.startTimer();
    await producer.inTransaction(async (tx) => {
      if (saved.length > 0) await tx.send(this.outputTopic, saved);
      // In the transaction: a failed attempt aborts its dead letters too, so read_committed readers (the DLT tool)
      // see each once however many attempts the batch took.
      if (dead.length > 0) await tx.send(deadLetterTopic(this.inputTopic), dead);
      await tx.sendOffsets(this.groupId, [{ topic: batch.topic, partition: batch.partition, offset: next }]);
    });
    endCommit();
    this.deps.metrics.deadLettered.inc(dead.length);
    return saved.length;
  }
}
