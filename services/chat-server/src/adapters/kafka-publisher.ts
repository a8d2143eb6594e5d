import { TOPICS, type ChatMessageRequested } from '@sunsu/contracts';
import type { Producer } from '@sunsu/kafka';
import type { MessagePublisher } from '../domain/ports.ts';

/** Produces accepted messages to `chat-message`, keyed by room so a room's messages share a partition. */
export class KafkaMessagePublisher implements MessagePublisher {
  private readonly producer: Producer;
  constructor(producer: Producer) {
    this.producer = producer;
  }
  async publish(event: ChatMessageRequested): Promise<void> {
    await this.producer.send(TOPICS.chatMessage, [{ key: event.chatRoomCode, value: JSON.stringify(event) }]);
  }
}
