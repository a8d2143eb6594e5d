import { sql } from 'drizzle-orm';
import { bigint, check, index, integer, pgTable, primaryKey, text, timestamp, uniqueIndex, varchar } from 'drizzle-orm/pg-core';

/**
 * Postgres is the system of record for users, rooms, participants, room meta and last-read positions.
 * Column types fit what they hold: ids are int64 (bigint, exchanged as decimal strings), message previews are
 * `text` (a 1,000-character message must never break a flush).
 */
export const users = pgTable('users', {
  id: bigint('id', { mode: 'bigint' }).primaryKey(),
  name: varchar('name', { length: 200 }).notNull(),
  avatarUrl: text('avatar_url'),
  role: varchar('role', { length: 16 }).notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
});

export const chatRooms = pgTable(
  'chat_rooms',
  {
    code: varchar('code', { length: 64 }).primaryKey(),
    /** 'direct' (1:1) or 'group'. */
    kind: varchar('kind', { length: 8 }).notNull(),
    /** For direct rooms "minUserId:maxUserId", unique: a 1:1 pair always maps to the same room. */
    pairKey: varchar('pair_key', { length: 48 }),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    lastMessage: text('last_message').notNull().default(''),
    lastMessageType: varchar('last_message_type', { length: 8 }),
    lastMessageAt: timestamp('last_message_at', { withTimezone: true, mode: 'date' }),
    lastSequenceId: bigint('last_sequence_id', { mode: 'number' }).notNull().default(0),
  },
  (t) => [
    uniqueIndex('chat_rooms_pair_key_uq').on(t.pairKey),
    check('chat_rooms_kind_ck', sql`${t.kind} in ('direct', 'group')`),
  ],
);

export const chatRoomParticipants = pgTable(
  'chat_room_participants',
  {
    roomCode: varchar('room_code', { length: 64 })
      .notNull()
      .references(() => chatRooms.code, { onDelete: 'cascade' }),
    userId: bigint('user_id', { mode: 'bigint' }).notNull(),
    joinedAt: timestamp('joined_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    /** Monotonic: writers use GREATEST so an older flush never moves it back. */
    lastReadSequenceId: bigint('last_read_sequence_id', { mode: 'number' }).notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.roomCode, t.userId] }), index('chat_room_participants_user_idx').on(t.userId)],
);

/** Write-back entries that failed repeatedly, kept with the reason instead of blocking the batch. */
export const syncQuarantine = pgTable('sync_quarantine', {
  entry: varchar('entry', { length: 200 }).primaryKey(),
  kind: varchar('kind', { length: 16 }).notNull(),
  attempts: integer('attempts').notNull(),
  reason: text('reason').notNull(),
  quarantinedAt: timestamp('quarantined_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
});
