import type { ArchivedMessage, MessageModel } from './message-model.ts';

/**
 * Archive reads other services share. Equality and range filters on (chatRoomCode, sequenceId) only: FerretDB
 * pushes those down to its indexes, while `$in` lists would scan.
 */

/** The room's newest persisted message, or null when it has none. */
export async function newestMessage(messages: MessageModel, roomCode: string): Promise<ArchivedMessage | null> {
  return messages.findOne({ chatRoomCode: roomCode }).sort({ sequenceId: -1 }).lean<ArchivedMessage>();
}

/** Sequence of the room's newest persisted message (0 when none). */
export async function newestSequence(messages: MessageModel, roomCode: string): Promise<number> {
  const doc = await messages.findOne({ chatRoomCode: roomCode }, { sequenceId: 1 }).sort({ sequenceId: -1 }).lean<Pick<ArchivedMessage, 'sequenceId'>>();
  return doc?.sequenceId ?? 0;
}

/**
 * Unread = persisted messages above the user's last-read that the user did not send: counted documents, so
 * sequence numbers that were allocated but never persisted never inflate it (unlike a difference of sequences).
 * `upTo` (inclusive) is the newest message the answer shows (a room preview), so the count never runs ahead of it.
 */
export async function countUnread(messages: MessageModel, roomCode: string, userId: string, lastRead: number, upTo: number): Promise<number> {
  return messages.countDocuments({ chatRoomCode: roomCode, sequenceId: { $gt: lastRead, $lte: upTo }, senderId: { $ne: userId } });
}
