import { ChatMessageRequested, type ChatMessageSaved } from '@sunsu/contracts';
import { archiveId, toMessageView, type ArchivedMessage } from '@sunsu/archive';
import type { IncomingRecord } from '@sunsu/kafka';

export type Parsed = { ok: true; record: IncomingRecord; doc: ArchivedMessage } | { ok: false; record: IncomingRecord; reason: string };

export const sourceOf = (record: IncomingRecord) => `${record.partition}:${record.offset}`;

/**
 * Turn a `chat-message` record into the document to archive. `createdAt` is a server time, set once: the gateway's
 * acceptance time, never later than persistence (`now`). Not the persist batch's time: a batch covers up to 20 ms
 * of messages of every room, and rooms must be ordered as their messages were accepted, not as batches were cut.
 */
export function toDocument(record: IncomingRecord, now: Date): Parsed {
  let json: unknown;
  try {
    json = JSON.parse(record.value.toString('utf8'));
  } catch {
    return { ok: false, record, reason: 'value is not JSON' };
  }
  const parsed = ChatMessageRequested.safeParse(json);
  if (!parsed.success) return { ok: false, record, reason: `invalid chat-message event: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}` };
  const e = parsed.data;
  return {
    ok: true,
    record,
    doc: {
      _id: archiveId(e.chatRoomCode, e.senderId, e.messageId),
      messageId: e.messageId,
      chatRoomCode: e.chatRoomCode,
      senderId: e.senderId,
      senderName: e.senderName,
      content: e.content,
      messageType: e.messageType,
      sequenceId: e.sequenceId,
      fileUrl: e.fileUrl,
      createdAt: acceptedNoLaterThan(e.acceptedAt, now),
      source: sourceOf(record),
    },
  };
}

export function toSavedEvent(doc: ArchivedMessage): ChatMessageSaved {
  return toMessageView(doc);
}

/** The acceptance time, clamped to `now` (a gateway whose clock runs ahead must not date a message in the future). */
function acceptedNoLaterThan(acceptedAt: string, now: Date): Date {
  const accepted = new Date(acceptedAt);
  return accepted.getTime() <= now.getTime() ? accepted : now;
}
