/**
 * Soak benchmark against a running platform (`make up`): a steady message rate for a long time while
 * connections churn (open, subscribe, announce presence, close — some in the middle of SUBSCRIBE), e.g.
 *   node bench/src/soak.ts --duration 900 --rate 100 --pairs 100 --churn 20
 * Every `--sample` seconds it records the RSS of every process and the sizes that must stay flat: chat-server's
 * hub and presence registrations, open connections, and the routes and presence entries in Redis of the rooms
 * used. At the end: the table, the RSS trend of each process (first vs last third of the samples after the
 * warm-up), and lost/duplicated deliveries of the steady traffic.
 */
import { parseArgs } from 'node:util';
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { encodeFrame } from '@sunsu/stomp';
import { redisKeys } from '@sunsu/contracts';
import { createRedis } from '@sunsu/redis';
import { createDirectRoom, infra, metricBy, metricTotal, randomUserId, scrapeMetrics, tokenFor } from '@sunsu/testkit';
import { BenchConnection } from './stomp-conn.ts';
import { cpuRows, formatCpu, machine, processCpuSeconds, processRss } from './platform.ts';

const { values: args } = parseArgs({
  options: {
    url: { type: 'string', default: process.env.BENCH_URL ?? 'http://127.0.0.1:8080' },
    duration: { type: 'string', default: '900' },
    rate: { type: 'string', default: '100' },
    pairs: { type: 'string', default: '100' },
    churn: { type: 'string', default: '20' },
    sample: { type: 'string', default: '30' },
  },
});
const url = args.url!;
const wsUrl = `${url.replace(/^http/, 'ws')}/stomp`;
const durationS = Number(args.duration);
const rate = Number(args.rate);
const pairCount = Number(args.pairs);
const churnPerSecond = Number(args.churn);
const sampleS = Number(args.sample);

interface Pair {
  room: string;
  tokens: [string, string];
  a: BenchConnection;
  b: BenchConnection;
}

/** chat-server's registration sizes, connections per transport (`conn_<transport>`) and slow-consumer cuts. */
async function metrics(): Promise<Record<string, number>> {
  const samples = await scrapeMetrics(url);
  const connections = Object.entries(metricBy(samples, 'chat_connections', 'transport')).map(([k, v]) => [`conn_${k}`, v]);
  return { ...metricBy(samples, 'chat_local_registrations', 'kind'), ...Object.fromEntries(connections), slow: metricTotal(samples, 'chat_slow_consumer_disconnects_total') };
}

async function main(): Promise<void> {
  const redis = createRedis(infra().CHAT_REDIS_URL);
  console.error(`soak: ${durationS} s at ${rate} msg/s over ${pairCount} rooms, ${churnPerSecond} churned connections/s; ${machine()}`);
  const pairs: Pair[] = [];
  for (let i = 0; i < pairCount; i++) {
    const ua = randomUserId();
    const ub = randomUserId();
    const tokens: [string, string] = [await tokenFor(ua, `soak ${ua}`), await tokenFor(ub, `soak ${ub}`, 'planner')];
    const room = await createDirectRoom(url, tokens[0], ub);
    const [a, b] = await Promise.all([BenchConnection.open(wsUrl, tokens[0]), BenchConnection.open(wsUrl, tokens[1])]);
    await Promise.all([a.subscribe(`/topic/chat/rooms/${room}`), b.subscribe(`/topic/chat/rooms/${room}`)]);
    pairs.push({ room, tokens, a, b });
  }

  // Steady traffic: every message must reach the partner exactly once.
  const expected = new Map<string, number>();
  let duplicated = 0;
  let sent = 0;
  let sendFailures = 0;
  for (const p of pairs) {
    for (const conn of [p.a, p.b]) {
      conn.onMessage = (frame) => {
        const { messageId } = JSON.parse(frame.body.toString('utf8')) as { messageId: string };
        const left = expected.get(messageId);
        if (left === undefined) return;
        if (left === 0) duplicated++;
        else expected.set(messageId, left - 1);
      };
    }
  }
  const cpuBefore = processCpuSeconds();
  const started = Date.now();
  const endAt = started + durationS * 1000;
  let turn = 0;
  const sender = setInterval(() => {
    if (Date.now() >= endAt) return;
    for (let k = 0; k < rate / 10; k++) {
      const p = pairs[turn % pairs.length]!;
      const from = (turn >> 1) % 2 === 0 ? p.a : p.b;
      turn++;
      const messageId = randomUUID();
      expected.set(messageId, 2); // the partner and the sender's own subscription
      sent++;
      from.send(`/app/chat/rooms/${p.room}/messages`, JSON.stringify({ messageId, content: `soak ${sent}`, messageType: 'TEXT' })).catch(() => {
        sendFailures++;
        expected.delete(messageId);
      });
    }
  }, 100);

  // Churn: short-lived connections that close at every stage of their life.
  let churned = 0;
  const churn = setInterval(() => {
    if (Date.now() >= endAt) return;
    for (let k = 0; k < churnPerSecond / 10; k++) {
      const p = pairs[Math.floor(Math.random() * pairs.length)]!;
      const token = p.tokens[churned % 2]!;
      churned++;
      const ws = new WebSocket(wsUrl, ['v12.stomp'], { perMessageDeflate: false });
      ws.on('error', () => undefined);
      ws.once('open', () => {
        ws.send(encodeFrame({ command: 'CONNECT', headers: { 'accept-version': '1.2', Authorization: `Bearer ${token}`, 'heart-beat': '0,0' } }));
        ws.send(encodeFrame({ command: 'SUBSCRIBE', headers: { id: '0', destination: `/topic/chat/rooms/${p.room}`, receipt: 's' } }));
        ws.send(encodeFrame({ command: 'SEND', headers: { destination: `/app/presence/${p.room}`, receipt: 'p' }, body: '{}' }));
        const closeAfter = churned % 3 === 0 ? 0 : Math.random() * 2000;
        setTimeout(() => (churned % 2 === 0 ? ws.terminate() : ws.close()), closeAfter);
      });
    }
  }, 100);

  const samples: { t: number; rss: Record<string, number>; sizes: Record<string, number> }[] = [];
  const sample = async () => {
    let routes = 0;
    let presence = 0;
    const pipeline = redis.pipeline();
    for (const p of pairs) pipeline.zcard(redisKeys.roomRoutes(p.room)).zcard(redisKeys.roomPresence(p.room));
    const results = (await pipeline.exec()) ?? [];
    results.forEach(([, v], i) => (i % 2 === 0 ? (routes += Number(v)) : (presence += Number(v))));
    const s = { t: Math.round((Date.now() - started) / 1000), rss: processRss(), sizes: { ...(await metrics()), redis_routes: routes, redis_presence: presence } };
    samples.push(s);
    console.error(`t=${s.t}s sent=${sent} churned=${churned} rss=${JSON.stringify(s.rss)} sizes=${JSON.stringify(s.sizes)}`);
  };
  await sample();
  while (Date.now() < endAt) {
    await new Promise((r) => setTimeout(r, Math.min(sampleS * 1000, Math.max(0, endAt - Date.now()))));
    await sample();
  }
  clearInterval(sender);
  clearInterval(churn);
  // Let the last messages arrive and the last churned sockets close, then take the final sample.
  await new Promise((r) => setTimeout(r, 10_000));
  await sample();
  const lost = [...expected.values()].reduce((a, b) => a + b, 0);
  const cpu = formatCpu(cpuRows(cpuBefore, processCpuSeconds(), (Date.now() - started) / 1000, sent * 2 - lost));

  const names = Object.keys(samples.at(-1)!.rss);
  const afterWarmUp = samples.filter((s) => s.t >= 60 && s.t <= durationS);
  const third = Math.max(1, Math.floor(afterWarmUp.length / 3));
  const mean = (list: typeof samples, name: string) => list.reduce((a, s) => a + (s.rss[name] ?? 0), 0) / list.length;
  console.log(`\n## Soak: ${durationS} s, ${rate} msg/s over ${pairCount} rooms (${pairCount * 2} steady connections), ${churnPerSecond} churned connections/s`);
  console.log(`machine: ${machine()}; ${new Date().toISOString()}\n`);
  console.log(`| t (s) | ${names.join(' | ')} | hub subs | hub rooms | presence conns | stomp conns | redis routes | redis presence |`);
  console.log(`|${'---|'.repeat(names.length + 7)}`);
  for (const s of samples) {
    const z = s.sizes;
    console.log(`| ${s.t} | ${names.map((n) => s.rss[n] ?? '').join(' | ')} | ${z.hub_subscriptions} | ${z.hub_rooms} | ${z.presence_connections} | ${z.conn_stomp} | ${z.redis_routes} | ${z.redis_presence} |`);
  }
  console.log('\nRSS trend (MiB, mean of the first and last third of the samples after the first 60 s):');
  for (const n of names) {
    const first = mean(afterWarmUp.slice(0, third), n);
    const last = mean(afterWarmUp.slice(-third), n);
    console.log(`- ${n}: ${first.toFixed(1)} → ${last.toFixed(1)} (${last >= first ? '+' : ''}${(last - first).toFixed(1)})`);
  }
  console.log(`\ncpu (of one core over the whole run; ms per delivered message): ${cpu}`);
  console.log(`steady traffic: ${sent} sent, ${sendFailures} refused, ${lost} deliveries missing, ${duplicated} duplicated; ${churned} connections churned`);
  for (const p of pairs) {
    p.a.close();
    p.b.close();
  }
  redis.disconnect();
}

await main();
