import { randomUUID } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import { redisKeys } from '@sunsu/contracts';
import { chatRoomParticipants, chatRooms, type Database } from '@sunsu/db';
import type { Redis } from '@sunsu/redis';
import type { RoomMembers, RoomOrder } from '@sunsu/room-state';
import type { RoomDirectory } from '../domain/ports.ts';

/**
 * Rooms live in Postgres (system of record); participant sets are cached in Redis (cache-aside, RoomMembers).
 * A created room joins its participants' room lists at its creation time; creating it again (the same 1:1 pair)
 * leaves its place in the lists alone.
 */
export class PostgresRoomDirectory implements RoomDirectory {
  private readonly db: Database;
  private readonly redis: Redis;
  private readonly members: RoomMembers;
  private readonly order: RoomOrder;
  constructor(db: Database, redis: Redis, members: RoomMembers, order: RoomOrder) {
    this.db = db;
    this.redis = redis;
    this.members = members;
    this.order = order;
  }

  participants(roomCode: string): Promise<string[] | null> {
    return this.members.of(roomCode);
  }

  async roomsOf(userId: string): Promise<string[]> {
    const rows = await this.db
      .select({ code: chatRoomParticipants.roomCode })
      .from(chatRoomParticipants)
      .where(eq(chatRoomParticipants.userId, BigInt(userId)));
    return rows.map((r) => r.code);
  }

  async createDirect(userA: string, userB: string): Promise<{ roomCode: string; alreadyExists: boolean }> {
    if (userA === userB) throw new Error('a direct room needs two different users');
    const [lo, hi] = BigInt(userA) < BigInt(userB) ? [userA, userB] : [userB, userA];
    const pairKey = `${lo}:${hi}`;
    // The unique pair key makes concurrent creations of the same pair converge on one room.
    const result = await this.db.transaction(async (tx) => {
      const inserted = await tx
        .insert(chatRooms)
        .values({ code: randomUUID(), kind: 'direct', pairKey })
        .onConflictDoNothing({ target: chatRooms.pairKey })
        .returning({ code: chatRooms.code });
      if (inserted[0]) {
        await tx.insert(chatRoomParticipants).values([
          { roomCode: inserted[0].code, userId: BigInt(lo) },
          { roomCode: inserted[0].code, userId: BigInt(hi) },
        ]);
        return { roomCode: inserted[0].code, alreadyExists: false };
      }
      const [existing] = await tx.select({ code: chatRooms.code }).from(chatRooms).where(sql`${chatRooms.pairKey} = ${pairKey}`);
      if (!existing) throw new Error(`room for pair ${pairKey} vanished`);
      return { roomCode: existing.code, alreadyExists: true };
    });
    await this.members.remember(result.roomCode, [lo, hi]);
    // A new room starts its sequence at 0; NX leaves an existing room's counter alone.
    if (!result.alreadyExists) await this.redis.set(redisKeys.roomSequence(result.roomCode), '0', 'NX');
    await this.order.add(result.roomCode, [lo, hi], Date.now());
    return result;
  }

  async createGroup(userIds: string[]): Promise<{ roomCode: string; alreadyExists: boolean }> {
    const unique = [...new Set(userIds)];
    const roomCode = randomUUID();
    await this.db.transaction(async (tx) => {
      await tx.insert(chatRooms).values({ code: roomCode, kind: 'group' });
      await tx.insert(chatRoomParticipants).values(unique.map((id) => ({ roomCode, userId: BigInt(id) })));
    });
    await this.members.remember(roomCode, unique);
    await this.redis.set(redisKeys.roomSequence(roomCode), '0', 'NX');
    await this.order.add(roomCode, unique, Date.now());
    return { roomCode, alreadyExists: false };
  }
}
