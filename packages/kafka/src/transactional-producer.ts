import { Partitioners, type Kafka, type Producer as KjsProducer } from 'kafkajs';
import { isFencedError, isStuckTransactionState } from './errors.ts';
import type { BusLogger } from './logging.ts';
import { ProducerFencedError, type Transaction, type TransactionalProducer } from './port.ts';
import { toMessages } from './records.ts';
import { RETRY } from './retry.ts';

/** One transactional id; the kafkajs producer behind it is recreated whenever it is left unusable. */
export class KafkajsTransactionalProducer implements TransactionalProducer {
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
