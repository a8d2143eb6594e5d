import { randomUUID } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import { redisKeys } from '@sunsu/contracts';
import { chatRoomParticipants, chatRooms, type Database } from '@sunsu/db';
import type { Redis } from '@sunsu/redis';
import type { RoomDirectory } from '../domain/ports.ts';

/**
 * Rooms live in Postgres (system of record); participant sets are cached in Redis and rebuilt from Postgres
 * whenever Redis lost them (cache-aside). Participants of a room never change after creation, so the cache
 * never needs invalidation.
 */
export class PostgresRoomDirectory implements RoomDirectory {
  private readonly db: Database;
  private readonly redis: Redis;
  constructor(db: Database, redis: Redis) {
    this.db = db;
    this.redis = redis;
  }

  async participants(roomCode: string): Promise<string[] | null> {
    const key = redisKeys.roomMembers(roomCode);
    const cached = await this.redis.smembers(key);
    if (cached.length > 0) return cached;
    const rows = await this.db
      .select({ userId: chatRoomParticipants.userId })
      .from(chatRoomParticipants)
      .where(eq(chatRoomParticipants.roomCode, roomCode));
    if (rows.length === 0) return null;
    const ids = rows.map((r) => r.userId.toString());
    await this.redis.sadd(key, ...ids);
    return ids;
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
    await this.redis.sadd(redisKeys.roomMembers(result.roomCode), lo, hi);
    // A new room starts its sequence at 0; NX leaves an existing room's counter alone.
    if (!result.alreadyExists) await this.redis.set(redisKeys.roomSequence(result.roomCode), '0', 'NX');
    return result;
  }

  async createGroup(userIds: string[]): Promise<{ roomCode: string; alreadyExists: boolean }> {
    const unique = [...new Set(userIds)];
    const roomCode = randomUUID();
    await this.db.transaction(async (tx) => {
      await tx.insert(chatRooms).values({ code: roomCode, kind: 'group' });
      await tx.insert(chatRoomParticipants).values(unique.map((id) => ({ roomCode, userId: BigInt(id) })));
    });
    await this.redis.sadd(redisKeys.roomMembers(roomCode), ...unique);
    await this.redis.set(redisKeys.roomSequence(roomCode), '0', 'NX');
    return { roomCode, alreadyExists: false };
  }
}
