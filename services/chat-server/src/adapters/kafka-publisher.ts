import { TOPICS, type ChatMessageRequested } from '@sunsu/contracts';
import type { OutgoingRecord, Producer } from '@sunsu/kafka';
import type { MessagePublisher } from '../domain/ports.ts';
import { errors } from '../domain/errors.ts';

interface Pending {
  record: OutgoingRecord;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * Produces accepted messages to `chat-message`, keyed by room so a room's messages share a partition.
 * Sends that arrive within `lingerMs` of each other share one produce request (kafkajs sends one request per
 * `send` call), and every caller is answered when the broker acknowledged its batch (acks=all): the RECEIPT
 * still means "in Kafka", at a fraction of the requests.
 */
export class KafkaMessagePublisher implements MessagePublisher {
  private readonly producer: Producer;
  private readonly lingerMs: number;
  private readonly maxBatch: number;
  private queue: Pending[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(producer: Producer, options: { lingerMs?: number; maxBatch?: number } = {}) {
    this.producer = producer;
    this.lingerMs = options.lingerMs ?? 2;
    this.maxBatch = options.maxBatch ?? 500;
  }

  publish(event: ChatMessageRequested): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ record: { key: event.chatRoomCode, value: JSON.stringify(event) }, resolve, reject });
      if (this.queue.length >= this.maxBatch) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.lingerMs);
    });
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    this.producer.send(TOPICS.chatMessage, batch.map((p) => p.record)).then(
      () => batch.forEach((p) => p.resolve()),
      // The client gets a clear, retryable error (and resends with the same messageId).
      () => batch.forEach((p) => p.reject(errors.unavailable('message not accepted: the event log is unavailable, retry'))),
    );
  }
}
