/**
 * The few Kafka operations the services need. Services depend on these types only; `kafkajs-bus.ts` is the one
 * implementation today, and another client (e.g. @platformatic/kafka) can replace it behind the same port.
 */

export interface OutgoingRecord {
  key: string | null;
  value: string | Buffer;
  headers?: Record<string, string>;
  /** Explicit partition; by default the partitioner hashes the key (room code) so a room stays in order. */
  partition?: number;
}

export interface RecordMetadata {
  topic: string;
  partition: number;
  /** Base offset of the produced batch, when the broker reports it. */
  offset?: string;
}

export interface IncomingRecord {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: Buffer;
  headers: Record<string, string>;
  timestamp: string;
}

export interface TopicPartition {
  topic: string;
  partition: number;
}

export interface TopicPartitionOffset extends TopicPartition {
  /** The next offset to read (last processed + 1), as Kafka commits it. */
  offset: string;
}

export interface IncomingBatch {
  topic: string;
  partition: number;
  records: IncomingRecord[];
  /**
   * Keep the group membership alive during long batches (kafkajs only heartbeats between batches).
   * Throws AssignmentLostError when the coordinator says this member lost its assignment.
   */
  heartbeat(): Promise<void>;
  /** True once the partition was revoked or the consumer is stopping: stop work and do not commit. */
  isStale(): boolean;
  /**
   * Mark records up to `offset` (inclusive) as processed in this consumer, so the next fetch starts after
   * them. For transactional stages the offsets are committed by `Transaction.sendOffsets`; plain consumers
   * call `commit` instead.
   */
  markProcessed(offset: string): void;
  /** Commit the consumer offset (non-transactional consumers). */
  commit(offset: string): Promise<void>;
}

export interface ConsumerOptions {
  groupId: string;
  topics: string[];
  /** Only see committed transactional records (read_committed). */
  readCommitted: boolean;
  /** Where a group with no committed offset starts; default: earliest. */
  fromBeginning?: boolean;
  /** Max bytes per partition per fetch, which bounds batch size. */
  maxBytesPerPartition?: number;
  /**
   * A fetch waits until this many bytes are there (across its partitions) or `maxWaitMs` passed (defaults: 1 byte,
   * 20 ms). Raising it makes batches fuller at moderate rates, so per-batch work (a transaction, a round trip)
   * is shared by more records, at the cost of up to `maxWaitMs` of latency when traffic is light.
   */
  minBytes?: number;
  maxWaitMs?: number;
  /** Partitions processed concurrently (per-partition order is always kept). */
  partitionsConsumedConcurrently?: number;
  sessionTimeoutMs?: number;
  /** How long the coordinator waits for live members to rejoin during a rebalance (default 10 s). */
  rebalanceTimeoutMs?: number;
  /**
   * Handle one batch. A thrown error makes the consumer fetch the batch again (kafkajs retries, then restarts the
   * consumer); a programming error (TypeError, RangeError, ReferenceError, SyntaxError) or an error with
   * `retriable: false` crashes the consumer for good: `status()` says `crashed` and readiness should fail.
   */
  onBatch(batch: IncomingBatch): Promise<void>;
  /** Called after every rebalance with the partitions gained and lost since the previous assignment. */
  onAssignment?(change: { assigned: TopicPartition[]; revoked: TopicPartition[] }): Promise<void> | void;
}

/**
 * idle → starting → running (joined its group); `restarting` after a crash the client recovers from by itself
 * (back to running on the next join); `crashed` after one it does not restart from; `stopped` after stop().
 */
export type ConsumerState = 'idle' | 'starting' | 'running' | 'restarting' | 'crashed' | 'stopped';

export interface ConsumerStatus {
  state: ConsumerState;
  /** The crash that caused `restarting` or `crashed`. */
  error?: string;
}

export interface Consumer {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Partitions currently assigned to this member (none once stopped or crashed). */
  assignment(): TopicPartition[];
  /**
   * True while this member is in its group (it may own zero partitions): not before the first join, after a crash
   * until it rejoined, or after stop(). Readiness uses it.
   */
  hasJoined(): boolean;
  /** Started, or joined, and neither stopped nor crashed. */
  isRunning(): boolean;
  status(): ConsumerStatus;
  /** Re-read a partition from an offset (e.g. after a failed batch). */
  seek(tp: TopicPartitionOffset): void;
}

export interface Producer {
  send(topic: string, records: OutgoingRecord[]): Promise<RecordMetadata[]>;
  close(): Promise<void>;
}

export interface Transaction {
  send(topic: string, records: OutgoingRecord[]): Promise<void>;
  /** Commit consumer offsets atomically with the transaction's records. */
  sendOffsets(groupId: string, offsets: TopicPartitionOffset[]): Promise<void>;
}

export interface TransactionalProducer {
  readonly transactionalId: string;
  /**
   * Register the transactional id with the coordinator now (InitProducerId). This bumps the id's epoch, which
   * fences every older producer with the same id: call it when taking ownership of the work the id guards.
   */
  init(): Promise<void>;
  /**
   * Run `work` in one transaction: commit when it resolves, abort when it throws (and rethrow).
   * Throws `ProducerFencedError` when a newer producer with the same transactional id exists.
   */
  inTransaction<T>(work: (tx: Transaction) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface TopicSpec {
  topic: string;
  partitions: number;
  replicationFactor: number;
  config?: Record<string, string>;
}

export interface TopicReconcileResult {
  created: string[];
  grown: { topic: string; from: number; to: number }[];
  /** Topics that have more partitions than asked: Kafka cannot shrink, so these are reported, not changed. */
  cannotShrink: { topic: string; actual: number; wanted: number }[];
}

export interface Admin {
  /** Create missing topics and grow partition counts; idempotent. */
  ensureTopics(specs: TopicSpec[]): Promise<TopicReconcileResult>;
  listTopics(): Promise<string[]>;
  partitionCount(topic: string): Promise<number>;
  /** Committed offsets of a group for a topic (next offset to read per partition). */
  groupOffsets(groupId: string, topic: string): Promise<TopicPartitionOffset[]>;
  /** End offsets (high watermarks) of a topic. */
  endOffsets(topic: string): Promise<TopicPartitionOffset[]>;
  close(): Promise<void>;
}

export interface ReadRangeOptions {
  topic: string;
  /** Only see committed transactional records (read_committed). */
  readCommitted: boolean;
  /** First offset to read per partition; unlisted partitions (or offsets before the log start) start at the earliest. */
  from?: TopicPartitionOffset[];
  /**
   * Stop waiting when no partition made progress for this long (a safety net: the end offsets are last stable
   * offsets, so an open transaction does not stall the read); default 10 s. Partitions left short are reported
   * with `next` before `end`.
   */
  idleTimeoutMs?: number;
}

export interface RangeRead {
  /** The records in [from, end) of each partition, ordered by partition, then offset. */
  records: IncomingRecord[];
  partitions: {
    partition: number;
    /** Offset the read started at. */
    from: string;
    /**
     * End offset observed when the read started: the last stable offset (the high watermark unless a transaction
     * is open, as `Admin.endOffsets`). The read never goes past it, so records written later are not waited for.
     */
    end: string;
    /** Offset after the last record read, control records (transaction markers) included; `end` when complete. */
    next: string;
  }[];
}

export interface MessageBus {
  producer(): Promise<Producer>;
  transactionalProducer(transactionalId: string): Promise<TransactionalProducer>;
  consumer(options: ConsumerOptions): Consumer;
  admin(): Promise<Admin>;
  /**
   * Bounded read of one topic without a consumer group of the caller's: read up to the end offsets observed
   * when the read starts, then stop (never waits for new records). Commits nothing.
   */
  readRange(options: ReadRangeOptions): Promise<RangeRead>;
}

/** The consumer is no longer a member owning this batch's partition (rebalance): stop work on the batch. */
export class AssignmentLostError extends Error {
  override name = 'AssignmentLostError';
}

/** A newer producer with the same transactional id exists: this one must stop (zombie fencing). */
export class ProducerFencedError extends Error {
  override name = 'ProducerFencedError';
}
