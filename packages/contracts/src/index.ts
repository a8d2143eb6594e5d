export * from './topics.ts';
export * from './ids.ts';
export * from './redis-keys.ts';
export * from './events/chat-message.ts';
export * from './events/chat-message-saved.ts';
export * from './payloads.ts';
