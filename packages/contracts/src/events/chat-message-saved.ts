import { z } from 'zod';
import { ChatMessageRequested } from './chat-message.ts';

/**
 * `chat-message-saved`: a message as stored in the archive (the stored document wins on redelivery).
 * Produced inside the persist stage's Kafka transaction; consumers read it with read_committed. Same fields as
 * the accepted message, with the stored `createdAt` (the acceptance time, never later than persistence).
 */
export const ChatMessageSaved = ChatMessageRequested.omit({ acceptedAt: true, fileUrl: true }).extend({
  fileUrl: z.string().max(2048).nullable(),
  createdAt: z.iso.datetime({ offset: true }),
});
export type ChatMessageSaved = z.output<typeof ChatMessageSaved>;
