import { z } from 'zod';
import { MessageId, MessageType, RoomCode, UserId, MAX_CONTENT_LENGTH } from '../ids.ts';

/**
 * `chat-message`: a message the gateway accepted and gave a sequence number. Key = room code.
 * `acceptedAt` is the gateway's clock (ISO-8601, UTC); the archive stores it as `createdAt`, set once at persistence
 * (clamped to the persistence time if the gateway's clock runs ahead).
 */
export const ChatMessageRequested = z.object({
  messageId: MessageId,
  chatRoomCode: RoomCode,
  senderId: UserId,
  senderName: z.string().max(200),
  content: z.string().max(MAX_CONTENT_LENGTH),
  messageType: MessageType,
  sequenceId: z.number().int().positive(),
  fileUrl: z.string().max(2048).nullable().default(null),
  acceptedAt: z.iso.datetime({ offset: true }),
});
export type ChatMessageRequested = z.output<typeof ChatMessageRequested>;
