import { SendMessageBody, type ChatMessageRequested } from '@sunsu/contracts';
import type { Principal } from '@sunsu/auth';
import { errors } from './errors.ts';
import type { Clock, MessagePublisher, Membership, SequenceAllocator } from './ports.ts';

export interface SendMessageDeps {
  rooms: Membership;
  sequences: SequenceAllocator;
  publisher: MessagePublisher;
  clock: Clock;
}

export interface SendMessageInput {
  roomCode: string;
  body: unknown;
  /** Set by the image upload path only: a client cannot send IMAGE messages over the socket without a file. */
  fileUrl?: string;
}

/**
 * Accept one message: validate → check membership → allocate the room sequence → publish to Kafka and wait
 * for the acknowledgement. The caller answers the client (RECEIPT / ack) only after this resolves.
 * Sending the same messageId again returns the first sequence and publishes again (the archive keeps the first
 * copy), so a client may retry safely after a lost receipt.
 */
export async function sendMessage(deps: SendMessageDeps, sender: Principal, input: SendMessageInput): Promise<{ sequenceId: number; messageId: string }> {
  const parsed = SendMessageBody.safeParse(input.body);
  if (!parsed.success) throw errors.badRequest(parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '));
  const body = parsed.data;
  for (const [field, claimed] of [['senderId', body.senderId], ['userId', body.userId]] as const) {
    if (claimed !== undefined && claimed !== sender.userId) throw errors.forbidden(`${field} does not match the authenticated user`);
  }
  if (body.messageType === 'IMAGE' && !input.fileUrl) throw errors.badRequest('IMAGE messages are sent with POST /api/chat/messages/{code}/image');

  const participants = await deps.rooms.participants(input.roomCode);
  if (!participants) throw errors.roomNotFound(input.roomCode);
  if (!participants.includes(sender.userId)) throw errors.forbidden();

  const { sequenceId } = await deps.sequences.allocate(input.roomCode, sender.userId, body.messageId);
  const event: ChatMessageRequested = {
    messageId: body.messageId,
    chatRoomCode: input.roomCode,
    senderId: sender.userId,
    senderName: sender.name,
    content: body.content,
    messageType: body.messageType,
    sequenceId,
    fileUrl: input.fileUrl ?? null,
    acceptedAt: deps.clock.now().toISOString(),
  };
  await deps.publisher.publish(event);
  return { sequenceId, messageId: body.messageId };
}
