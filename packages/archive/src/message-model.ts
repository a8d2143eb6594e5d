import mongoose, { Schema, type Connection, type Model } from 'mongoose';

/**
 * The message archive: collection `chat_messages`, one document per message, `_id` = room:sender:messageId (see `archiveId`).
 * Only operations that both MongoDB and FerretDB 1.x serve are used here: batch insert, unique indexes,
 * range reads on (chatRoomCode, sequenceId), countDocuments. No multi-document transactions, no change streams.
 */
export interface ArchivedMessage {
  /** Idempotency key: `${chatRoomCode}:${senderId}:${messageId}` (see `archiveId`). */
  _id: string;
  /** The client's id of the message, as the API shows it. */
  messageId?: string;
  chatRoomCode: string;
  senderId: string;
  senderName: string;
  content: string;
  messageType: 'TEXT' | 'IMAGE';
  sequenceId: number;
  fileUrl: string | null;
  createdAt: Date;
  /** Kafka position (`partition:offset`) of the record that created the document: tells a redelivery of the
   * same record (re-emit the saved event) from a client's resend (already emitted by the original record). */
  source?: string;
}

/** A client may reuse its messageId only within its own room: scoping the key by room and sender means a
 * reused or guessed id can never hide another user's message. */
export const archiveId = (chatRoomCode: string, senderId: string, messageId: string) => `${chatRoomCode}:${senderId}:${messageId}`;

export const COLLECTION = 'chat_messages';

const messageSchema = new Schema<ArchivedMessage>(
  {
    _id: { type: String, required: true },
    messageId: { type: String },
    chatRoomCode: { type: String, required: true },
    senderId: { type: String, required: true },
    senderName: { type: String, required: true },
    content: { type: String, default: '' },
    messageType: { type: String, required: true, enum: ['TEXT', 'IMAGE'] },
    sequenceId: { type: Number, required: true },
    fileUrl: { type: String, default: null },
    createdAt: { type: Date, required: true },
    source: { type: String },
  },
  { collection: COLLECTION, versionKey: false, autoIndex: false, _id: false },
);
// A sequence number belongs to exactly one message of a room: the archive enforces it.
messageSchema.index({ chatRoomCode: 1, sequenceId: 1 }, { unique: true, name: 'chatRoomCode_sequenceId_uq' });

export type MessageModel = Model<ArchivedMessage>;

export interface ArchiveHandle {
  connection: Connection;
  messages: MessageModel;
  close(): Promise<void>;
}

/** Connect and make sure the indexes exist (created explicitly: the original relied on auto-creation that was off). */
export async function connectArchive(url: string): Promise<ArchiveHandle> {
  const connection = mongoose.createConnection(url, { serverSelectionTimeoutMS: 5000, maxPoolSize: 20 });
  await connection.asPromise();
  const messages = connection.model<ArchivedMessage>('ChatMessage', messageSchema);
  await messages.createIndexes();
  return { connection, messages, close: () => connection.close() };
}

/** The client-facing fields of an archived message (ids as decimal strings, time as ISO-8601 UTC). */
export type MessageView = Omit<ArchivedMessage, '_id' | 'messageId' | 'source' | 'createdAt'> & {
  messageId: string;
  createdAt: string;
};

/** One mapping from the stored document, shared by the saved event and the API's message response. */
export function toMessageView(doc: ArchivedMessage): MessageView {
  return {
    messageId: doc.messageId ?? doc._id,
    chatRoomCode: doc.chatRoomCode,
    senderId: doc.senderId,
    senderName: doc.senderName,
    content: doc.content,
    messageType: doc.messageType,
    sequenceId: doc.sequenceId,
    fileUrl: doc.fileUrl ?? null,
    createdAt: new Date(doc.createdAt).toISOString(),
  };
}
