/**
 * Kafka topic and consumer-group names. Names are kept from the original service where they still mean
 * the same thing; every topic is keyed by room code so one room's events stay in order on one partition.
 */
export const TOPICS = {
  /** Accepted client messages, before persistence. Produced by chat-server, idempotent producer. */
  chatMessage: 'chat-message',
  /** Persisted messages. Produced transactionally by the dispatcher's persist stage; read with read_committed. */
  chatMessageSaved: 'chat-message-saved',
} as const;

export type TopicName = (typeof TOPICS)[keyof typeof TOPICS];

/** Dead-letter topic for a stage's input topic (one per stage, as in the original's `<topic>.DLT`). */
export const deadLetterTopic = (topic: string): string => `${topic}.DLT`;

export const CONSUMER_GROUPS = {
  persist: 'chat-message-persistence-group',
  fanOut: 'chat-message-saved-dispatcher-group',
} as const;

/** Every topic the platform needs, with its dead-letter companion, for idempotent creation at start-up. */
export const allTopics = (): string[] => {
  const base = Object.values(TOPICS) as string[];
  return [...base, ...base.map(deadLetterTopic)];
};
