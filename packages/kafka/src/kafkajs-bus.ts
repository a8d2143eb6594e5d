import { Kafka, Partitioners, logLevel as KafkaLogLevel } from 'kafkajs';
import { KafkajsAdmin } from './admin.ts';
import { cacheCoordinatorLookups } from './coordinator-cache.ts';
import { KafkajsConsumer } from './consumer.ts';
import { logCreator, type BusLogger } from './logging.ts';
import type { MessageBus } from './port.ts';
import { KafkajsProducer } from './producer.ts';
import { readRange } from './read-range.ts';
import { RETRY } from './retry.ts';
import { KafkajsTransactionalProducer } from './transactional-producer.ts';

export interface KafkaBusOptions {
  brokers: string[];
  clientId: string;
  logger?: BusLogger;
  /** Request timeout towards brokers. */
  requestTimeoutMs?: number;
}

/** Build the MessageBus port on kafkajs: one client shared by every producer, consumer and admin it creates. */
export function createKafkaBus(options: KafkaBusOptions): MessageBus {
  cacheCoordinatorLookups();
  const kafka = new Kafka({
    clientId: options.clientId,
    brokers: options.brokers,
    retry: RETRY,
    requestTimeout: options.requestTimeoutMs ?? 30_000,
    logLevel: process.env.KAFKAJS_LOG_LEVEL === 'debug' ? KafkaLogLevel.DEBUG : KafkaLogLevel.WARN,
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
