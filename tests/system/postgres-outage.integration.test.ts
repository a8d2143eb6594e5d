import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { eq } from 'drizzle-orm';
import { redisKeys } from '@sunsu/contracts';
import { chatRoomParticipants, chatRooms, createDatabase, runMigrations, type DatabaseHandle } from '@sunsu/db';
import { createRedis, type Redis } from '@sunsu/redis';
import {
  connectStomp,
  createDirectRoom,
  freePort,
  historyAfter,
  infra,
  randomUserId,
  startPlatform,
  tokenFor,
  waitFor,
  FAST_SEND_LIMITS,
  type Platform,
  type RunningService,
  type TestStompClient,
} from '@sunsu/testkit';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const OUTAGE_MS = Number(process.env.CHAT_TEST_PG_OUTAGE_MS ?? 60_000);

/**
 * The system of record goes away for a minute while people chat. Its own Postgres server (started by the
 * project's script on a free port, so FerretDB's backing store is not affected) is stopped and started again.
 * Messages keep flowing (membership is cached in Redis, the archive is MongoDB-wire); the syncer's runs fail
 * without giving anything up; after the restart the next flushes make Postgres equal to Redis.
 * The platform uses Redis database 6 so the dirty sets hold this test's entries only.
 */
describe('Postgres outage during traffic', () => {
  const runDir = `${ROOT}.run/pg-outage`;
  let pgEnv: Record<string, string>;
  let platform: Platform;
  let server: RunningService;
  let redis: Redis;
  let pg: DatabaseHandle;
  const open: TestStompClient[] = [];

  const postgres = (action: 'start' | 'stop') => run('bash', [`${ROOT}infra/postgres.sh`, action], { env: { ...process.env, ...pgEnv }, timeout: 90_000 });

  beforeAll(async () => {
    const port = await freePort();
    pgEnv = { SUNSU_RUN: runDir, PG_PORT: String(port) };
    rmSync(runDir, { recursive: true, force: true });
    await postgres('start');
    const url = `postgres://postgres@127.0.0.1:${port}/sunsu`;
    pg = createDatabase(url, { max: 2 });
    await runMigrations(pg.db);
    const redisUrl = `${infra().CHAT_REDIS_URL}/6`;
    redis = createRedis(redisUrl);
    await redis.flushdb();
    platform = await startPlatform('it-pgdown', {
      syncer: true,
      env: { CHAT_POSTGRES_URL: url, CHAT_REDIS_URL: redisUrl },
      chatEnv: FAST_SEND_LIMITS,
      syncerEnv: { CHAT_SYNC_INTERVAL_MS: '1000' },
    });
    server = platform.chat[0]!;
  }, 120_000);
  afterAll(async () => {
    await Promise.allSettled(open.map((c) => c.close()));
    await platform?.stop();
    await pg?.close();
    await redis?.flushdb().catch(() => undefined);
    redis?.disconnect();
    await postgres('stop').catch(() => undefined);
    rmSync(runDir, { recursive: true, force: true });
  }, 120_000);

  it('keeps chatting, loses nothing, and Postgres equals Redis after the next flushes', async () => {
    const [a, b] = [randomUserId(), randomUserId()];
    const [ta, tb] = await Promise.all([tokenFor(a, 'Ana'), tokenFor(b, 'Ben', 'planner')]);
    const code = await createDirectRoom(server.url, ta, b);
    const alice = await connectStomp(server.url, ta);
    const ben = await connectStomp(server.url, tb);
    open.push(alice, ben);
    await ben.subscribe(`/topic/chat/rooms/${code}`);
    await ben.send(`/app/presence/${code}`, {}); // Ben is in the room: his last-read follows each message

    let sent = 0;
    let sending = true;
    const failures: string[] = [];
    const traffic = (async () => {
      while (sending) {
        try {
          await alice.sendMessage(code, `message ${sent + 1}`);
          sent++;
        } catch (err) {
          failures.push((err as Error).message);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    })();

    await new Promise((r) => setTimeout(r, 3000));
    await postgres('stop');
    const sentAtStop = sent;
    await new Promise((r) => setTimeout(r, OUTAGE_MS));
    const sentDuringOutage = sent - sentAtStop;
    await postgres('start');
    await new Promise((r) => setTimeout(r, 3000));
    sending = false;
    await traffic;

    expect(failures).toEqual([]);
    expect(sentDuringOutage).toBeGreaterThan(OUTAGE_MS / 1000); // the chat kept working during the outage
    // Nothing lost: every acknowledged message is archived, numbered 1..N.
    await waitFor(async () => (await historyAfter(server.url, ta, code, 0)).length >= sent, 20_000);
    const all: number[] = [];
    for (let after = 0; ; ) {
      const page = await historyAfter(server.url, ta, code, after);
      if (page.length === 0) break;
      all.push(...page.map((m) => m.sequenceId));
      after = page.at(-1)!.sequenceId;
    }
    expect(all).toEqual(Array.from({ length: sent }, (_, i) => i + 1));

    // The syncer felt the outage (failed runs) and caught up afterwards.
    const failedRuns = async () => {
      const text = await (await fetch(`${platform.syncer!.url}/metrics`)).text();
      return Number(/syncer_flush_runs_total\{outcome="failed"[^}]*\} (\d+)/.exec(text)?.[1] ?? 0);
    };
    expect(await failedRuns()).toBeGreaterThan(0);
    await waitFor(async () => {
      const sizes = await Promise.all(['room-meta', 'last-read'].flatMap((k) => [redis.scard(k === 'room-meta' ? redisKeys.dirtyRoomMeta() : redisKeys.dirtyLastRead()), redis.scard(redisKeys.dirtyInFlight(k as 'room-meta'))]));
      return sizes.every((n) => n === 0);
    }, 30_000);

    const meta = await redis.hgetall(redisKeys.roomMeta(code));
    const [room] = await pg.db.select().from(chatRooms).where(eq(chatRooms.code, code));
    expect(room).toMatchObject({ lastSequenceId: sent, lastMessage: `message ${sent}`, lastMessageType: 'TEXT' });
    expect(Number(meta.lastSequenceId)).toBe(sent);
    expect(room!.lastMessageAt?.toISOString()).toBe(meta.lastMessageAt);

    const redisReads = await redis.hgetall(redisKeys.roomLastRead(code));
    const rows = await pg.db.select().from(chatRoomParticipants).where(eq(chatRoomParticipants.roomCode, code));
    const pgReads = Object.fromEntries(rows.map((r) => [r.userId.toString(), Number(r.lastReadSequenceId)]));
    expect(pgReads).toEqual({ [a]: Number(redisReads[a]), [b]: Number(redisReads[b]) });
    expect(pgReads).toEqual({ [a]: sent, [b]: sent });
  }, 240_000);
});
