import { z } from 'zod';
import { MessageId, MessageType, RoomCode, UserId, MAX_CONTENT_LENGTH } from '../ids.ts';

/**
 * `chat-message-saved`: a message as stored in the archive (the stored document wins on redelivery).
 * Produced inside the persist stage's Kafka transaction; consumers read it with read_committed.
 */
export const ChatMessageSaved = z.object({
  messageId: MessageId,
  chatRoomCode: RoomCode,
  senderId: UserId,
  senderName: z.string().max(200),
  content: z.string().max(MAX_CONTENT_LENGTH),
  messageType: MessageType,
  sequenceId: z.number().int().positive(),
  fileUrl: z.string().max(2048).nullable(),
  createdAt: z.iso.datetime({ offset: true }),
});
export type ChatMessageSaved = z.output<typeof ChatMessageSaved>;
