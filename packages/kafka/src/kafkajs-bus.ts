import {
  Kafka,
  Partitioners,
  logLevel as KafkaLogLevel,
  type Consumer as KjsConsumer,
  type Producer as KjsProducer,
  type LogEntry,
  type IHeaders,
} from 'kafkajs';
import { randomBytes } from 'node:crypto';
import {
  AssignmentLostError,
  ProducerFencedError,
  type Admin,
  type Consumer,
  type ConsumerOptions,
  type IncomingRecord,
  type MessageBus,
  type OutgoingRecord,
  type Producer,
  type RangeRead,
  type ReadRangeOptions,
  type RecordMetadata,
  type TopicPartition,
  type TopicPartitionOffset,
  type TopicReconcileResult,
  type TopicSpec,
  type Transaction,
  type TransactionalProducer,
} from './port.ts';

/** The slice of a structured logger (pino-compatible) this adapter writes to. */
export interface BusLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface KafkaBusOptions {
  brokers: string[];
  clientId: string;
  logger?: BusLogger;
  /** Request timeout towards brokers. */
  requestTimeoutMs?: number;
}

/**
 * kafkajs retries CONCURRENT_TRANSACTIONS after `initialRetryTime` (default 300 ms), which puts ~300 ms into
 * p99 right after every commit; 10 ms keeps transactional latency near the broker's own.
 */
const RETRY = { initialRetryTime: 10, maxRetryTime: 2000, retries: 20 } as const;

/** Retries kafkajs logs at ERROR although it recovers from them; they are debug noise for operators. */
const EXPECTED_RETRY = /CONCURRENT_TRANSACTIONS|coordinator is loading|COORDINATOR_LOAD_IN_PROGRESS|rebalancing|NOT_COORDINATOR/i;

/**
 * Warnings that do not apply to how the platform uses kafkajs: bounded producer retries are safe because every
 * record carries an idempotency key that the consumer de-duplicates (messageId), and the partitioner is chosen
 * explicitly (Java-compatible murmur2, so other clients place a room's key on the same partition).
 */
const IRRELEVANT_WARNING = /Limiting retries for the idempotent producer|switched default partitioner/;

function logCreator(logger: BusLogger | undefined) {
  return () => (entry: LogEntry) => {
    if (!logger) return;
    const { message, ...extra } = entry.log;
    const fields = { kafka: { namespace: entry.namespace, ...extra } };
    if (entry.level <= KafkaLogLevel.ERROR && !EXPECTED_RETRY.test(`${message} ${String((extra as { error?: unknown }).error ?? '')}`)) {
      logger.error(fields, message);
    } else if (entry.level === KafkaLogLevel.WARN && !IRRELEVANT_WARNING.test(message)) {
      logger.warn(fields, message);
    } else {
      logger.debug(fields, message);
    }
  };
}

function toHeaders(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers ?? {})) {
    if (v === undefined) continue;
    out[k] = Array.isArray(v) ? String(v[0]) : Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
  }
  return out;
}

const toMessages = (records: OutgoingRecord[]) =>
  records.map((r) => ({ key: r.key, value: r.value, headers: r.headers, partition: r.partition }));

const next = (offset: string) => (BigInt(offset) + 1n).toString();

/** Walk an error chain (kafkajs wraps protocol errors in retry errors) looking for a condition. */
function someCause(err: unknown, test: (e: { type?: string; name?: string; message?: string }) => boolean): boolean {
  let current: unknown = err;
  for (let depth = 0; current && depth < 6; depth++) {
    const e = current as { type?: string; name?: string; message?: string; originalError?: unknown; cause?: unknown };
    if (test(e)) return true;
    current = e.originalError ?? e.cause;
  }
  return false;
}

export const isFencedError = (err: unknown) =>
  someCause(err, (e) => e.type === 'INVALID_PRODUCER_EPOCH' || e.type === 'PRODUCER_FENCED' || e.type === 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED');

const isAssignmentLost = (err: unknown) =>
  someCause(err, (e) => e.type === 'UNKNOWN_MEMBER_ID' || e.type === 'REBALANCE_IN_PROGRESS' || e.type === 'ILLEGAL_GENERATION' || e.type === 'FENCED_INSTANCE_ID');

/** A producer left in COMMITTING/ABORTING (e.g. after a broker outage) never recovers: it must be recreated. */
const isStuckTransactionState = (err: unknown) =>
  someCause(err, (e) => /Transaction state exception|Invalid state transition|Cannot .* transaction/i.test(e.message ?? ''));

class KafkajsProducer implements Producer {
  private readonly producer: KjsProducer;
  constructor(producer: KjsProducer) {
    this.producer = producer;
  }
  async send(topic: string, records: OutgoingRecord[]): Promise<RecordMetadata[]> {
    const result = await this.producer.send({ topic, acks: -1, messages: toMessages(records) });
    return result.map((r) => ({ topic: r.topicName, partition: r.partition, offset: r.baseOffset }));
  }
  async close() {
    await this.producer.disconnect();
  }
}

class KafkajsTransactionalProducer implements TransactionalProducer {
  private producer: KjsProducer | undefined;
  private readonly kafka: Kafka;
  readonly transactionalId: string;
  private readonly logger: BusLogger | undefined;
  constructor(kafka: Kafka, transactionalId: string, logger: BusLogger | undefined) {
    this.kafka = kafka;
    this.transactionalId = transactionalId;
    this.logger = logger;
  }

  private async connected(): Promise<KjsProducer> {
    if (!this.producer) {
      const p = this.kafka.producer({
        transactionalId: this.transactionalId,
        idempotent: true,
        maxInFlightRequests: 1,
        retry: RETRY,
        createPartitioner: Partitioners.DefaultPartitioner,
      });
      await p.connect();
      this.producer = p;
    }
    return this.producer;
  }

  private async discard() {
    const p = this.producer;
    this.producer = undefined;
    await p?.disconnect().catch(() => undefined);
  }

  async init(): Promise<void> {
    const producer = await this.connected();
    try {
      // kafkajs sends InitProducerId lazily, on the first transaction: open one and abort it (nothing was sent).
      const tx = await producer.transaction();
      await tx.abort();
    } catch (err) {
      if (isFencedError(err)) throw new ProducerFencedError(`producer ${this.transactionalId} was fenced`);
      await this.discard();
      throw err;
    }
  }

  async inTransaction<T>(work: (tx: Transaction) => Promise<T>): Promise<T> {
    const producer = await this.connected();
    let kjsTx;
    try {
      kjsTx = await producer.transaction();
    } catch (err) {
      if (isFencedError(err)) throw new ProducerFencedError(`producer ${this.transactionalId} was fenced`);
      if (isStuckTransactionState(err)) await this.discard();
      throw err;
    }
    const tx: Transaction = {
      send: async (topic, records) => {
        await kjsTx.send({ topic, acks: -1, messages: toMessages(records) });
      },
      sendOffsets: async (groupId, offsets) => {
        const byTopic = new Map<string, { partition: number; offset: string }[]>();
        for (const o of offsets) byTopic.set(o.topic, [...(byTopic.get(o.topic) ?? []), { partition: o.partition, offset: o.offset }]);
        await kjsTx.sendOffsets({ consumerGroupId: groupId, topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })) });
      },
    };
    try {
      const result = await work(tx);
      await kjsTx.commit();
      return result;
    } catch (err) {
      if (kjsTx.isActive()) await kjsTx.abort().catch((abortErr: unknown) => this.logger?.warn({ err: abortErr }, 'abort failed'));
      if (isFencedError(err)) {
        await this.discard();
        throw new ProducerFencedError(`producer ${this.transactionalId} was fenced`);
      }
      if (isStuckTransactionState(err) || !kjsTx.isActive()) {
        // Start the next attempt from a fresh producer: InitProducerId bumps the epoch and aborts leftovers.
        await this.discard();
      }
      throw err;
    }
  }

  async close() {
    await this.discard();
  }
}

class KafkajsConsumer implements Consumer {
  private readonly consumer: KjsConsumer;
  private current: TopicPartition[] = [];
  private joined = false;
  private readonly options: ConsumerOptions;

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
      maxWaitTimeInMs: 100,
      retry: RETRY,
    });
    this.consumer.on(this.consumer.events.GROUP_JOIN, (event) => {
      const next: TopicPartition[] = Object.entries(event.payload.memberAssignment).flatMap(([topic, partitions]) =>
        (partitions as number[]).map((partition) => ({ topic, partition })),
      );
      const key = (tp: TopicPartition) => `${tp.topic}/${tp.partition}`;
      const before = new Set(this.current.map(key));
      const after = new Set(next.map(key));
      const assigned = next.filter((tp) => !before.has(key(tp)));
      const revoked = this.current.filter((tp) => !after.has(key(tp)));
      this.current = next;
      this.joined = true;
      void Promise.resolve(this.options.onAssignment?.({ assigned, revoked })).catch(() => undefined);
    });
  }

  async start() {
    await this.consumer.connect();
    for (const topic of this.options.topics) {
      await this.consumer.subscribe({ topic, fromBeginning: this.options.fromBeginning ?? true });
    }
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently ?? 1,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isStale, isRunning }) => {
        const records = batch.messages.map((m) => ({
          topic: batch.topic,
          partition: batch.partition,
          offset: m.offset,
          key: m.key ? m.key.toString('utf8') : null,
          value: m.value ?? Buffer.alloc(0),
          headers: toHeaders(m.headers),
          timestamp: m.timestamp,
        }));
        if (records.length === 0) return;
        await this.options.onBatch({
          topic: batch.topic,
          partition: batch.partition,
          records,
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
  }

  assignment() {
    return [...this.current];
  }

  hasJoined() {
    return this.joined;
  }

  seek(tp: TopicPartitionOffset) {
    this.consumer.seek(tp);
  }

  async stop() {
    await this.consumer.disconnect();
  }
}

class KafkajsAdmin implements Admin {
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

/**
 * Bounded read of one topic. kafkajs has no manual partition assignment, so the read joins a throwaway group
 * (deleted afterwards, no offsets committed), seeks every partition to its start and stops once every partition
 * reached the end offset observed at the start. Progress is tracked from the batch events, which also report
 * batches made only of control records or aborted records, so a partition ending in a transaction marker completes.
 */
async function readRange(kafka: Kafka, clientId: string, options: ReadRangeOptions): Promise<RangeRead> {
  const { topic } = options;
  const idleTimeoutMs = options.idleTimeoutMs ?? 10_000;
  const admin = kafka.admin({ retry: RETRY });
  await admin.connect();
  try {
    const requested = new Map((options.from ?? []).map((o) => [o.partition, BigInt(o.offset)]));
    const partitions = (await admin.fetchTopicOffsets(topic))
      .map((w) => {
        const low = BigInt(w.low);
        const end = BigInt(w.high);
        const wanted = requested.get(w.partition) ?? low;
        const from = wanted < low ? low : wanted > end ? end : wanted;
        return { partition: w.partition, from, end, next: from, delivered: from };
      })
      .sort((a, b) => a.partition - b.partition);
    const byPartition = new Map(partitions.map((p) => [p.partition, p]));
    const records: IncomingRecord[] = [];
    const pending = () => partitions.filter((p) => p.next < p.end);

    if (pending().length > 0) {
      const groupId = `${clientId}-read-${randomBytes(6).toString('hex')}`;
      const consumer = kafka.consumer({
        groupId,
        readUncommitted: !options.readCommitted,
        maxWaitTimeInMs: 100,
        retry: { ...RETRY, restartOnFailure: async () => false },
      });
      let lastProgress = Date.now();
      let crash: Error | undefined;
      consumer.on(consumer.events.GROUP_JOIN, () => {
        lastProgress = Date.now();
      });
      consumer.on(consumer.events.END_BATCH_PROCESS, (event) => {
        const p = byPartition.get(event.payload.partition);
        const reached = BigInt(event.payload.lastOffset) + 1n;
        if (event.payload.topic === topic && p && reached > p.next) {
          p.next = reached;
          lastProgress = Date.now();
        }
      });
      consumer.on(consumer.events.CRASH, (event) => {
        crash = event.payload.error;
      });
      await consumer.connect();
      try {
        await consumer.subscribe({ topic, fromBeginning: true });
        const running = consumer.run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            const p = byPartition.get(batch.partition);
            if (!p) return;
            for (const m of batch.messages) {
              const offset = BigInt(m.offset);
              if (offset < p.delivered || offset >= p.end) continue;
              p.delivered = offset + 1n;
              records.push({
                topic,
                partition: batch.partition,
                offset: m.offset,
                key: m.key ? m.key.toString('utf8') : null,
                value: m.value ?? Buffer.alloc(0),
                headers: toHeaders(m.headers),
                timestamp: m.timestamp,
              });
            }
          },
        });
        // The group exists once run() was called; seeks given before the join apply to the first fetch.
        for (const p of partitions) consumer.seek({ topic, partition: p.partition, offset: p.from.toString() });
        await running;
        for (;;) {
          if (crash) throw crash;
          if (pending().length === 0 || Date.now() - lastProgress > idleTimeoutMs) break;
          await new Promise((r) => setTimeout(r, 20));
        }
      } finally {
        await consumer.disconnect();
        await admin.deleteGroups([groupId]).catch(() => undefined);
      }
    }
    records.sort((a, b) => a.partition - b.partition || (BigInt(a.offset) < BigInt(b.offset) ? -1 : 1));
    return {
      records,
      partitions: partitions.map((p) => ({
        partition: p.partition,
        from: p.from.toString(),
        end: p.end.toString(),
        next: (p.next < p.end ? p.next : p.end).toString(),
      })),
    };
  } finally {
    await admin.disconnect();
  }
}

/** Build the MessageBus port on kafkajs. */
export function createKafkaBus(options: KafkaBusOptions): MessageBus {
  const kafka = new Kafka({
    clientId: options.clientId,
    brokers: options.brokers,
    retry: RETRY,
    requestTimeout: options.requestTimeoutMs ?? 30_000,
    logLevel: process.env.KAFKAJS_LOG_LEVEL === "debug" ? KafkaLogLevel.DEBUG : KafkaLogLevel.WARN,
    logCreator: logCreator(options.logger),
  });
  return {
    async producer() {
      const p = kafka.producer({ idempotent: true, maxInFlightRequests: 5, retry: RETRY, createPartitioner: Partitioners.DefaultPartitioner });
      await p.connect();
      return new KafkajsProducer(p);
    },
    async transactionalProducer(transactionalId: string) {
      return new KafkajsTransactionalProducer(kafka, transactionalId, options.logger);
    },
    consumer(consumerOptions) {
      return new KafkajsConsumer(kafka, consumerOptions);
    },
    async admin() {
      const a = kafka.admin({ retry: RETRY });
      await a.connect();
      return new KafkajsAdmin(a);
    },
    readRange(readOptions) {
      return readRange(kafka, options.clientId, readOptions);
    },
  };
}
