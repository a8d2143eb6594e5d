import type { Producer as KjsProducer } from 'kafkajs';
import type { OutgoingRecord, Producer, RecordMetadata } from './port.ts';
import { toMessages } from './records.ts';

/** Plain (idempotent, non-transactional) producer; every send waits for all in-sync replicas. */
export class KafkajsProducer implements Producer {
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
