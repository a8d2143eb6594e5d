import { z } from 'zod';
import { MAX_CONTENT_LENGTH, MessageId, MessageType, UserId } from './ids.ts';

/**
 * Client → server body of `/app/chat/rooms/{code}/messages` (and Socket.IO `message:send`).
 * Legacy fields of the original frontend (`senderId`, `userId`, `senderName`, `createdAt`) are accepted but never
 * trusted: the sender is the token's subject, and an id naming someone else is refused.
 */
export const SendMessageBody = z.object({
  messageId: MessageId,
  content: z.string().trim().min(1, 'content must not be blank').max(MAX_CONTENT_LENGTH, `content is limited to ${MAX_CONTENT_LENGTH} characters`),
  messageType: MessageType.default('TEXT'),
  senderId: UserId.optional(),
  userId: UserId.optional(),
  senderName: z.string().optional(),
  createdAt: z.string().optional(),
});
export type SendMessageBody = z.output<typeof SendMessageBody>;

/** Server → client push on `/topic/chat/rooms/{code}` and REST history item. */
export interface ChatMessageResponse {
  messageId: string;
  senderId: string;
  senderName: string;
  content: string;
  messageType: 'TEXT' | 'IMAGE';
  createdAt: string;
  sequenceId: number;
  readBy: string[];
  fileUrl: string | null;
}

/** What chat-server instances receive from the dispatcher, addressed to one room. */
export type RoomPush =
  | { kind: 'message'; roomCode: string; message: ChatMessageResponse }
  | { kind: 'read'; roomCode: string; userId: string; lastReadSequenceId: number }
  | { kind: 'typing'; roomCode: string; userId: string; typing: boolean }
  | { kind: 'presence'; roomCode: string; userId: string; status: 'online' | 'offline' };

/** An image message's preview in room lists (its `content` is a file name, not something to show). */
export const IMAGE_PREVIEW = '[Image]';

export function previewOf(messageType: 'TEXT' | 'IMAGE', content: string): string {
  return messageType === 'IMAGE' ? IMAGE_PREVIEW : content;
}

/** One entry of `GET /api/chat/rooms` (api-contract.md); partner fields describe the other user of a 1:1 room. */
export interface ChatRoomSummary {
  chatRoomCode: string;
  participants: { userId: string; name: string; avatarUrl: string | null }[];
  chatPartnerId: string | null;
  chatPartnerName: string;
  avatarUrl: string | null;
  lastMessage: string;
  lastMessageType: 'TEXT' | 'IMAGE' | null;
  lastMessageAt: string;
  lastSequenceId: number;
  unreadCount: number;
}

/** Body of `PUT /api/users/{userId}` (service tokens only). */
export const UpsertProfileBody = z
  .object({
    name: z.string().trim().min(1).max(200),
    avatarUrl: z.url().max(2048).nullable().optional(),
    role: z.enum(['couple', 'planner', 'admin', 'service']),
  })
  .strict();
