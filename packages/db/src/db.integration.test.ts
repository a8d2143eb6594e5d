import { sql } from 'drizzle-orm';
import { createDatabase, runMigrations, chatRooms, chatRoomParticipants, type DatabaseHandle } from '@sunsu/db';
import { createTempDatabase } from '@sunsu/testkit';

describe('Postgres with drizzle-orm (real server)', () => {
  let temp: Awaited<ReturnType<typeof createTempDatabase>>;
  let handle: DatabaseHandle;

  beforeAll(async () => {
    temp = await createTempDatabase();
    handle = createDatabase(temp.url);
  });
  afterAll(async () => {
    await handle.close();
    await temp.drop();
  });

  it('applies the migrations, and applying them again changes nothing', async () => {
    await runMigrations(handle.db);
    await runMigrations(handle.db);
    const tables = await handle.sql<{ tablename: string }[]>`select tablename from pg_tables where schemaname = 'public' order by 1`;
    expect(tables.map((t) => t.tablename)).toEqual(['chat_room_participants', 'chat_rooms', 'sync_quarantine', 'users']);
  });

  it('batched upsert keeps last-read monotonic and stores long previews', async () => {
    const { db } = handle;
    const longPreview = 'x'.repeat(1000);
    await db.insert(chatRooms).values([
      { code: 'room-a', kind: 'direct', pairKey: '1:2', lastMessage: longPreview, lastSequenceId: 7 },
      { code: 'room-b', kind: 'group' },
    ]);
    const upsert = (rows: { roomCode: string; userId: bigint; lastReadSequenceId: number }[]) =>
      db
        .insert(chatRoomParticipants)
        .values(rows)
        .onConflictDoUpdate({
          target: [chatRoomParticipants.roomCode, chatRoomParticipants.userId],
          // A late flush of an older position must never move last-read backwards.
          set: { lastReadSequenceId: sql`greatest(${chatRoomParticipants.lastReadSequenceId}, excluded.last_read_sequence_id)` },
        });

    await upsert([
      { roomCode: 'room-a', userId: 1n, lastReadSequenceId: 5 },
      { roomCode: 'room-a', userId: 2n, lastReadSequenceId: 7 },
      { roomCode: 'room-b', userId: 1n, lastReadSequenceId: 0 },
    ]);
    await upsert([
      { roomCode: 'room-a', userId: 1n, lastReadSequenceId: 6 },
      { roomCode: 'room-a', userId: 2n, lastReadSequenceId: 3 },
    ]);
    const rows = await db.select().from(chatRoomParticipants).orderBy(chatRoomParticipants.roomCode, chatRoomParticipants.userId);
    expect(rows.map((r) => [r.roomCode, r.userId, r.lastReadSequenceId])).toEqual([
      ['room-a', 1n, 6],
      ['room-a', 2n, 7],
      ['room-b', 1n, 0],
    ]);
    const [room] = await db.select().from(chatRooms).where(sql`${chatRooms.code} = 'room-a'`);
    expect(room?.lastMessage).toHaveLength(1000);
  });

  it('maps a 1:1 pair to one room: a second room with the same pair key is refused', async () => {
    await expect(handle.db.insert(chatRooms).values({ code: 'room-c', kind: 'direct', pairKey: '1:2' })).rejects.toThrow();
  });
});
