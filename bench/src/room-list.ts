/**
 * Room-list benchmark: latency and throughput of `GET /api/chat/rooms` against a running platform (`make up`).
 * Seeds `--users` users with `--rooms` 1:1 rooms each (one message per room, so every room has a preview, a
 * partner and unread counts), then `--concurrency` clients page through their lists for `--duration` seconds.
 * Measured twice: warm (Redis holds the state) and right after Redis lost the room state (hydration from Postgres
 * and the archive on first read). Prints the conditions with the numbers.
 *
 *   node bench/src/room-list.ts [--url http://127.0.0.1:8080] [--users 20] [--rooms 50] [--size 20] [--concurrency 16] [--duration 15]
 */
import { parseArgs } from 'node:util';
import { createRedis } from '@sunsu/redis';
import { api, connectStomp, createDirectRoom, infra, randomUserId, tokenFor, waitFor } from '@sunsu/testkit';
import { machine, percentile } from './platform.ts';

const { values: args } = parseArgs({
  options: {
    url: { type: 'string', default: 'http://127.0.0.1:8080' },
    users: { type: 'string', default: '20' },
    rooms: { type: 'string', default: '50' },
    size: { type: 'string', default: '20' },
    concurrency: { type: 'string', default: '16' },
    duration: { type: 'string', default: '15' },
  },
});
const url = args.url!;
const users = Number(args.users);
const roomsPerUser = Number(args.rooms);
const size = Number(args.size);
const concurrency = Number(args.concurrency);
const seconds = Number(args.duration);

console.log(JSON.stringify({ bench: 'room-list', url, users, roomsPerUser, pageSize: size, concurrency, secondsPerPhase: seconds, machine: machine() }));

// Seed: each user opens rooms with fresh partners and writes once in each.
const seeded: { userId: string; token: string; codes: string[] }[] = [];
const seedStart = performance.now();
for (let u = 0; u < users; u++) {
  const userId = randomUserId();
  const token = await tokenFor(userId, `Bench user ${u}`);
  const codes: string[] = [];
  for (let r = 0; r < roomsPerUser; r++) {
    const partner = randomUserId();
    await api(url, await tokenFor(partner, `Vendor ${u}-${r}`, 'planner'), 'GET', '/api/chat/unread'); // partner profile
    codes.push(await createDirectRoom(url, token, partner));
  }
  const client = await connectStomp(url, token);
  for (const code of codes) {
    await client.sendMessage(code, `hello from ${u}`);
    await new Promise((r) => setTimeout(r, 60)); // below the default per-connection send rate (20/s)
  }
  await client.close();
  seeded.push({ userId, token, codes });
}
const last = seeded.at(-1)!;
await waitFor(async () => {
  const res = await api<{ data: { lastSequenceId: number }[] }>(url, last.token, 'GET', `/api/chat/rooms?size=${roomsPerUser}`);
  return res.body.data.length === roomsPerUser && res.body.data.every((r) => r.lastSequenceId === 1);
}, 60_000);
console.log(JSON.stringify({ seeded: { users, rooms: users * roomsPerUser, seconds: Math.round((performance.now() - seedStart) / 100) / 10 } }));

/** Clients walk their whole list page by page, again and again, for the phase's duration. */
async function phase(name: string): Promise<void> {
  const latencies: number[] = [];
  let errors = 0;
  let pages = 0;
  const deadline = Date.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, i) => {
      const user = seeded[i % seeded.length]!;
      while (Date.now() < deadline) {
        let cursor: string | null = null;
        do {
          const started = performance.now();
          const res: { status: number; body: { nextCursor: string | null } } = await api(url, user.token, 'GET', `/api/chat/rooms?size=${size}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
          latencies.push(performance.now() - started);
          pages++;
          if (res.status !== 200) {
            errors++;
            break;
          }
          cursor = res.body.nextCursor;
        } while (cursor && Date.now() < deadline);
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  const r = (x: number) => Math.round(x * 10) / 10;
  console.log(
    JSON.stringify({ phase: name, pages, pagesPerSecond: Math.round(pages / seconds), errors, p50ms: r(percentile(latencies, 50)), p99ms: r(percentile(latencies, 99)), maxMs: r(latencies.at(-1) ?? NaN) }),
  );
}

await phase('warm');

// Redis loses the users' room state (order, meta, last-read): the first reads hydrate from Postgres + archive.
const redis = createRedis(process.env.CHAT_REDIS_URL ?? infra().CHAT_REDIS_URL);
const keys: string[] = [];
for (const u of seeded) {
  keys.push(`chat:user:{${u.userId}}:rooms`);
  for (const code of u.codes) keys.push(`chat:{${code}}:meta`, `chat:{${code}}:last-read`);
}
for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500));
redis.disconnect();
// The first page of each user right after the loss rebuilds that user's order and the page's rooms.
const cold: number[] = [];
for (const u of seeded) {
  const started = performance.now();
  const res = await api<{ data: unknown[] }>(url, u.token, 'GET', `/api/chat/rooms?size=${size}`);
  cold.push(performance.now() - started);
  if (res.status !== 200 || res.body.data.length !== Math.min(size, roomsPerUser)) throw new Error(`cold read failed: ${res.status}`);
}
cold.sort((a, b) => a - b);
console.log(JSON.stringify({ phase: 'first page after Redis lost the room state (hydration)', requests: cold.length, p50ms: Math.round(percentile(cold, 50)), maxMs: Math.round(cold.at(-1)!) }));
await phase('after hydration');
process.exit(0);
