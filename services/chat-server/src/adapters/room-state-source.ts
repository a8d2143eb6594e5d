import { previewOf } from '@sunsu/contracts';
import { newestMessage, type MessageModel } from '@sunsu/archive';
import { lastReadsOfRoom, roomRecord, roomsOfUser, upsertUser, usersByIds, type Database } from '@sunsu/db';
import type { ProfileSource, ReadStateSource, RoomOrderEntry, RoomMeta } from '@sunsu/room-state';

/**
 * Where Redis state is rebuilt from after a loss. Room meta comes from the archive's newest message (exact even
 * for messages the syncer has not flushed yet), falling back to the room row for rooms without messages;
 * last-read positions and room membership come from Postgres.
 */
export function readStateSource(db: Database, messages: MessageModel): ReadStateSource {
  return {
    lastReads: (roomCode) => lastReadsOfRoom(db, roomCode),
    meta: async (roomCode): Promise<RoomMeta | null> => {
      const newest = await newestMessage(messages, roomCode);
      if (newest) {
        return {
          lastSequenceId: newest.sequenceId,
          lastMessage: previewOf(newest.messageType, newest.content),
          lastMessageType: newest.messageType,
          lastMessageAt: new Date(newest.createdAt).toISOString(),
        };
      }
      const room = await roomRecord(db, roomCode);
      return room ? { lastSequenceId: 0, lastMessage: '', lastMessageType: 'TEXT', lastMessageAt: room.createdAt.toISOString() } : null;
    },
  };
}

/** A user's room order rebuilt from their rooms (Postgres) and each room's latest activity. */
export function roomOrderSource(db: Database, meta: (roomCode: string) => Promise<RoomMeta | null>) {
  return async (userId: string): Promise<RoomOrderEntry[]> => {
    const rooms = await roomsOfUser(db, userId);
    return Promise.all(
      rooms.map(async (room) => {
        const m = await meta(room.code);
        const at = m ? Date.parse(m.lastMessageAt) : NaN;
        return { code: room.code, score: Number.isFinite(at) ? at : room.createdAt.getTime() };
      }),
    );
  };
}

export function profileSource(db: Database): ProfileSource {
  return {
    load: (userIds) => usersByIds(db, userIds),
    save: (profile) => upsertUser(db, profile),
  };
}
