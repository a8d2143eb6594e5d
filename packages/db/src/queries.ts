import { eq, inArray, sql } from 'drizzle-orm';
import type { Database } from './client.ts';
import { chatRoomParticipants, chatRooms, syncQuarantine, users } from './schema.ts';

/**
 * The system-of-record queries every service shares: the reads that hydrate Redis after it lost state, and the
 * batched, monotonic writes of the syncer. One place, so the services never restate SQL.
 */

export interface RoomRecord {
  code: string;
  createdAt: Date;
  lastMessage: string;
  lastMessageType: 'TEXT' | 'IMAGE' | null;
  lastMessageAt: Date | null;
  lastSequenceId: number;
}

const roomColumns = {
  code: chatRooms.code,
  createdAt: chatRooms.createdAt,
  lastMessage: chatRooms.lastMessage,
  lastMessageType: chatRooms.lastMessageType,
  lastMessageAt: chatRooms.lastMessageAt,
  lastSequenceId: chatRooms.lastSequenceId,
};

export async function participantsOfRoom(db: Database, roomCode: string): Promise<string[]> {
  const rows = await db.select({ userId: chatRoomParticipants.userId }).from(chatRoomParticipants).where(eq(chatRoomParticipants.roomCode, roomCode));
  return rows.map((r) => r.userId.toString());
}

export async function roomsOfUser(db: Database, userId: string): Promise<RoomRecord[]> {
  const rows = await db
    .select(roomColumns)
    .from(chatRoomParticipants)
    .innerJoin(chatRooms, eq(chatRooms.code, chatRoomParticipants.roomCode))
    .where(eq(chatRoomParticipants.userId, BigInt(userId)));
  return rows.map(asRoomRecord);
}

export async function roomRecord(db: Database, roomCode: string): Promise<RoomRecord | null> {
  const [row] = await db.select(roomColumns).from(chatRooms).where(eq(chatRooms.code, roomCode));
  return row ? asRoomRecord(row) : null;
}

function asRoomRecord(row: { code: string; createdAt: Date; lastMessage: string; lastMessageType: string | null; lastMessageAt: Date | null; lastSequenceId: number }): RoomRecord {
  const type = row.lastMessageType === 'TEXT' || row.lastMessageType === 'IMAGE' ? row.lastMessageType : null;
  return { ...row, lastMessageType: type, lastSequenceId: Number(row.lastSequenceId) };
}

export async function lastReadsOfRoom(db: Database, roomCode: string): Promise<Map<string, number>> {
  const rows = await db
    .select({ userId: chatRoomParticipants.userId, seq: chatRoomParticipants.lastReadSequenceId })
    .from(chatRoomParticipants)
    .where(eq(chatRoomParticipants.roomCode, roomCode));
  return new Map(rows.map((r) => [r.userId.toString(), Number(r.seq)]));
}

export interface UserProfile {
  userId: string;
  name: string;
  avatarUrl: string | null;
  role: string;
}

export async function upsertUser(db: Database, profile: UserProfile): Promise<void> {
  await db
    .insert(users)
    .values({ id: BigInt(profile.userId), name: profile.name, avatarUrl: profile.avatarUrl, role: profile.role })
    .onConflictDoUpdate({ target: users.id, set: { name: profile.name, avatarUrl: profile.avatarUrl, role: profile.role, updatedAt: sql`now()` } });
}

export async function usersByIds(db: Database, userIds: string[]): Promise<Map<string, UserProfile>> {
  if (userIds.length === 0) return new Map();
  const rows = await db.select().from(users).where(inArray(users.id, userIds.map((id) => BigInt(id))));
  return new Map(rows.map((r) => [r.id.toString(), { userId: r.id.toString(), name: r.name, avatarUrl: r.avatarUrl, role: r.role }]));
}

export interface RoomMetaRow {
  code: string;
  lastMessage: string;
  lastMessageType: 'TEXT' | 'IMAGE';
  lastMessageAt: Date;
  lastSequenceId: number;
}

/**
 * One statement for the whole batch. Monotonic: a row only moves to a newer sequence, so a late or repeated
 * flush never moves a room back. Answers the codes that exist (a code missing from the answer has no room row).
 */
export async function writeRoomMetas(db: Database, rows: RoomMetaRow[]): Promise<Set<string>> {
  if (rows.length === 0) return new Set();
  const values = sql.join(
    rows.map((r) => sql`(${r.code}, ${r.lastMessage}, ${r.lastMessageType}, ${r.lastMessageAt.toISOString()}, ${r.lastSequenceId})`),
    sql`, `,
  );
  const updated = await db.execute<{ code: string }>(sql`
    update chat_rooms as r set
      last_message = case when v.seq::bigint > r.last_sequence_id then v.msg else r.last_message end,
      last_message_type = case when v.seq::bigint > r.last_sequence_id then v.type else r.last_message_type end,
      last_message_at = case when v.seq::bigint > r.last_sequence_id then v.at::timestamptz else r.last_message_at end,
      last_sequence_id = greatest(r.last_sequence_id, v.seq::bigint)
    from (values ${values}) as v(code, msg, type, at, seq)
    where r.code = v.code
    returning r.code`);
  return new Set([...updated].map((r) => r.code));
}

export interface LastReadRow {
  code: string;
  userId: string;
  lastReadSequenceId: number;
}

/** Batched and monotonic (GREATEST); answers the "code|userId" keys that have a participant row. */
export async function writeLastReads(db: Database, rows: LastReadRow[]): Promise<Set<string>> {
  if (rows.length === 0) return new Set();
  const values = sql.join(
    rows.map((r) => sql`(${r.code}, ${r.userId}, ${r.lastReadSequenceId})`),
    sql`, `,
  );
  const updated = await db.execute<{ room_code: string; user_id: string }>(sql`
    update chat_room_participants as p set
      last_read_sequence_id = greatest(p.last_read_sequence_id, v.seq::bigint)
    from (values ${values}) as v(code, user_id, seq)
    where p.room_code = v.code and p.user_id = v.user_id::bigint
    returning p.room_code, p.user_id::text as user_id`);
  return new Set([...updated].map((r) => `${r.room_code}|${r.user_id}`));
}

export async function quarantine(db: Database, entry: { entry: string; kind: string; attempts: number; reason: string }): Promise<void> {
  await db
    .insert(syncQuarantine)
    .values(entry)
    .onConflictDoUpdate({ target: syncQuarantine.entry, set: { attempts: entry.attempts, reason: entry.reason, quarantinedAt: sql`now()` } });
}
