import { ChatMessageRequested, type ChatMessageSaved } from '@sunsu/contracts';
import { archiveId, toMessageView, type ArchivedMessage } from '@sunsu/archive';
import type { IncomingRecord } from '@sunsu/kafka';

export type Parsed = { ok: true; record: IncomingRecord; doc: ArchivedMessage } | { ok: false; record: IncomingRecord; reason: string };

export const sourceOf = (record: IncomingRecord) => `${record.partition}:${record.offset}`;

/** Turn a `chat-message` record into the document to archive; `createdAt` is the persistence time. */
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
      createdAt: now,
      source: sourceOf(record),
    },
  };
}

export function toSavedEvent(doc: ArchivedMessage): ChatMessageSaved {
  return toMessageView(doc);
}
