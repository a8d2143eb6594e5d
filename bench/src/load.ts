/**
 * Load benchmark against a running platform (`make up`), e.g.
 *   node bench/src/load.ts --connections 1000 --rate 1000 --duration 30 --payload 200
 *   node bench/src/load.ts --sweep 500,1000,2000,3000,5000,7500 --duration 15
 *   node bench/src/load.ts --idle 15000
 * Connections are raw WebSocket STOMP in 1:1 rooms; both sides of every room send. Prints delivered msg/s,
 * send→receive latency percentiles, lost and duplicated counts, the CPU (per cent of a core and milliseconds per
 * delivered message) and RSS of every process, Kafka's own
 * end-to-end latency floor for the same payload, and the conditions of the run.
 */
import { parseArgs } from 'node:util';
import { randomUUID } from 'node:crypto';
import { createDirectRoom, randomUserId, tokenFor } from '@sunsu/testkit';
import { BenchConnection } from './stomp-conn.ts';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { TOPICS } from '@sunsu/contracts';
import { createKafkaBus } from '@sunsu/kafka';
import { collectGarbage } from './inspector.ts';
import { kafkaRequestCounts, formatPerMessage, perMessage, redisCommandCounts } from './counters.ts';
import { ROOT, cpuRows, formatCpu, kafkaFloor, machine, percentile, processCpuSeconds, processRss, type CpuRow } from './platform.ts';

const { values: args } = parseArgs({
  options: {
    url: { type: 'string', default: process.env.BENCH_URL ?? 'http://127.0.0.1:8080' },
    connections: { type: 'string', default: '1000' },
    rate: { type: 'string', default: '1000' },
    duration: { type: 'string', default: '30' },
    payload: { type: 'string', default: '200' },
    sweep: { type: 'string' },
    idle: { type: 'string' },
    /** Seconds of CPU sampling with no clients at all: what the platform costs when nobody chats. */
    'quiet-cpu': { type: 'string' },
    broker: { type: 'string', default: process.env.CHAT_KAFKA_BROKERS?.split(',')[0] ?? '127.0.0.1:19092' },
    'no-floor': { type: 'boolean', default: false },
    /** Seconds of traffic before the first measured step (JIT, connection pools, Kafka's first batches); not counted. */
    warmup: { type: 'string', default: '10' },
    /** Skip the broker's request counts (each read starts a JVM for JmxTool, ~2 s). */
    'no-counters': { type: 'boolean', default: false },
    redis: { type: 'string', default: process.env.CHAT_REDIS_URL ?? 'redis://127.0.0.1:16379' },
    /** Where the JSON report goes (default bench/results/). */
    out: { type: 'string', default: `${ROOT}bench/results` },
  },
});
const urls = args.url!.split(',');
const wsUrl = (i: number) => urls[i % urls.length]!.replace(/^http/, 'ws') + '/stomp';

interface Pair {
  room: string;
  a: BenchConnection;
  b: BenchConnection;
}

async function pool<T>(n: number, concurrency: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(n);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, n) }, async () => {
      while (next < n) {
        const i = next++;
        out[i] = await task(i);
      }
    }),
  );
  return out;
}

/** Create rooms and open two subscribed connections per room. */
async function setUp(pairs: number): Promise<Pair[]> {
  const started = Date.now();
  const result = await pool(pairs, 25, async (i) => {
    const ua = randomUserId();
    const ub = randomUserId();
    const [ta, tb] = await Promise.all([tokenFor(ua, `bench ${ua}`), tokenFor(ub, `bench ${ub}`, 'planner')]);
    const room = await createDirectRoom(urls[i % urls.length]!, ta, ub);
    const [a, b] = await Promise.all([BenchConnection.open(wsUrl(i), ta), BenchConnection.open(wsUrl(i + 1), tb)]);
    await Promise.all([a.subscribe(`/topic/chat/rooms/${room}`), b.subscribe(`/topic/chat/rooms/${room}`)]);
    return { room, a, b };
  });
  console.error(`set up ${pairs} rooms / ${pairs * 2} connections in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return result;
}

interface Tracked {
  sentAt: number;
  acked: boolean;
  received: number;
}

interface StepResult {
  rate: number;
  seconds: number;
  sent: number;
  acked: number;
  failed: number;
  delivered: number;
  lost: number;
  duplicated: number;
  deliveredPerSecond: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  /** Send → RECEIPT (accepted: sequenced and in Kafka), ms. */
  ack: { p50: number; p99: number; max: number };
}

async function runStep(pairs: Pair[], rate: number, seconds: number, payload: number): Promise<StepResult> {
  const tracked = new Map<string, Tracked>();
  const latencies: number[] = [];
  const ackLatencies: number[] = [];
  let duplicated = 0;
  for (const p of pairs) {
    for (const [me, partner] of [
      [p.a, p.b],
      [p.b, p.a],
    ] as const) {
      me.onMessage = (frame) => {
        const body = JSON.parse(frame.body.toString('utf8')) as { messageId: string };
        const t = tracked.get(body.messageId);
        if (!t || (t as Tracked & { from?: BenchConnection }).from === me) return;
        t.received++;
        if (t.received === 1) latencies.push(performance.now() - t.sentAt);
        else duplicated++;
      };
      void partner;
    }
  }
  const padding = 'x'.repeat(Math.max(1, payload - 60));
  let sent = 0;
  let failed = 0;
  let acked = 0;
  const started = performance.now();
  const end = started + seconds * 1000;
  let turn = 0;
  await new Promise<void>((resolve) => {
    const tick = setInterval(() => {
      const now = performance.now();
      if (now >= end) {
        clearInterval(tick);
        resolve();
        return;
      }
      const due = Math.floor(((now - started) / 1000) * rate) - sent;
      for (let k = 0; k < due; k++) {
        const pair = pairs[turn % pairs.length]!;
        const from = Math.floor(turn / pairs.length) % 2 === 0 ? pair.a : pair.b;
        turn++;
        const messageId = randomUUID();
        const t: Tracked & { from?: BenchConnection } = { sentAt: performance.now(), acked: false, received: 0, from };
        tracked.set(messageId, t);
        sent++;
        from.send(`/app/chat/rooms/${pair.room}/messages`, JSON.stringify({ messageId, content: padding, messageType: 'TEXT' })).then(
          () => {
            t.acked = true;
            acked++;
            ackLatencies.push(performance.now() - t.sentAt);
          },
          () => failed++,
        );
      }
    }, 5);
  });
  const elapsed = (performance.now() - started) / 1000;
  // Drain: wait until every acknowledged message arrived, or 10 s without progress.
  let last = -1;
  for (let quiet = 0; quiet < 20; ) {
    await new Promise((r) => setTimeout(r, 500));
    const got = latencies.length;
    const pendingAcks = sent - acked - failed;
    if (got >= acked && pendingAcks === 0) break;
    quiet = got === last ? quiet + 1 : 0;
    last = got;
  }
  const sorted = latencies.sort((x, y) => x - y);
  const ackSorted = ackLatencies.sort((x, y) => x - y);
  const ms = (x: number) => Math.round(x * 10) / 10;
  const lost = [...tracked.values()].filter((t) => t.acked && t.received === 0).length;
  return {
    rate,
    seconds: Math.round(elapsed * 10) / 10,
    sent,
    acked,
    failed,
    delivered: sorted.length,
    lost,
    duplicated,
    deliveredPerSecond: Math.round(sorted.length / elapsed),
    p50: Math.round(percentile(sorted, 50) * 10) / 10,
    p95: Math.round(percentile(sorted, 95) * 10) / 10,
    p99: Math.round(percentile(sorted, 99) * 10) / 10,
    max: Math.round((sorted.at(-1) ?? NaN) * 10) / 10,
    ack: { p50: ms(percentile(ackSorted, 50)), p99: ms(percentile(ackSorted, 99)), max: ms(ackSorted.at(-1) ?? NaN) },
  };
}

function commit(): string {
  try {
    const sha = execFileSync('git', ['-C', ROOT, 'rev-parse', '--short=12', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['-C', ROOT, 'status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8' }).trim() !== '';
    return dirty ? `${sha}+uncommitted` : sha;
  } catch {
    return 'unknown';
  }
}

function printConditions(extra: Record<string, unknown>): Record<string, unknown> {
  const conditions = { machine: machine(), commit: commit(), chatServers: urls, ...extra, at: new Date().toISOString() };
  console.log(`conditions: ${JSON.stringify(conditions)}`);
  return conditions;
}

/** The report as JSON under bench/results/ (one file per run), next to what was printed. */
function writeReport(report: Record<string, unknown> & { conditions: Record<string, unknown> }) {
  mkdirSync(args.out!, { recursive: true });
  const at = String(report.conditions.at).replace(/[:.]/g, '-');
  const file = `${args.out}/${at}-${String(report.conditions.mode)}.json`;
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`report: ${file}`);
}

/**
 * Memory per idle authenticated connection (one subscription each): a warm-up round opens and closes 1,000
 * connections (code, pools and caches the first connections create are not per-connection cost), then the
 * service is measured after a forced full GC and a settle period before and after `count` connections.
 */
async function idle(count: number) {
  const service = 'chat-server-1';
  const settleMs = Number(process.env.BENCH_IDLE_SETTLE_MS ?? 10_000);
  const warmUp = await setUp(500);
  for (const p of warmUp) {
    p.a.close();
    p.b.close();
  }
  await new Promise((r) => setTimeout(r, settleMs));
  const before = await collectGarbage(service);
  const pairs = await setUp(count / 2);
  await new Promise((r) => setTimeout(r, settleMs));
  const after = await collectGarbage(service);
  const conditions = printConditions({ mode: 'idle', connections: count, subscriptionsPerConnection: 1, settleMs, forcedGc: true });
  const kib = (bytes: number) => Math.round((bytes / count / 1024) * 100) / 100;
  const perConnectionKiB = kib(after.rssBytes - before.rssBytes);
  const heapPerConnectionKiB = kib(after.heapUsedBytes - before.heapUsedBytes);
  console.log(
    `idle connections: ${count}, ${service} RSS ${(before.rssBytes / 2 ** 20).toFixed(1)} MiB → ${(after.rssBytes / 2 ** 20).toFixed(1)} MiB: ` +
      `${perConnectionKiB.toFixed(2)} KiB per connection (JS heap ${heapPerConnectionKiB.toFixed(2)} KiB), after a forced GC and ${settleMs / 1000} s settle`,
  );
  const rss = processRss();
  console.log(`rss MiB: ${JSON.stringify(rss)}`);
  writeReport({ conditions, idle: { connections: count, before, after, perConnectionKiB, heapPerConnectionKiB }, rssMiB: rss });
  for (const p of pairs) {
    p.a.close();
    p.b.close();
  }
}

/** Partitions of the accepted-message topic: each costs the persist stage one Kafka transaction per fetch. */
async function topicPartitions(): Promise<number | null> {
  try {
    const admin = await createKafkaBus({ brokers: [args.broker!], clientId: 'bench' }).admin();
    try {
      return await admin.partitionCount(TOPICS.chatMessage);
    } finally {
      await admin.close();
    }
  } catch {
    return null;
  }
}

async function load() {
  const connections = Number(args.connections);
  const payload = Number(args.payload);
  const seconds = Number(args.duration);
  const floor = args['no-floor'] ? undefined : kafkaFloor(args.broker!, payload);
  const pairs = await setUp(Math.floor(connections / 2));
  const rates = args.sweep ? args.sweep.split(',').map(Number) : [Number(args.rate)];
  const conditions = printConditions({ mode: args.sweep ? 'sweep' : 'fixed-rate', connections, payloadBytes: payload, secondsPerStep: seconds, bothSidesSend: true, partitions: await topicPartitions(), warmupSeconds: Number(args.warmup) });
  if (floor) console.log(`kafka floor (EndToEndLatency, ${payload} B, acks=all): avg ${floor.avg} ms, p50 ${floor.p50} ms, p99 ${floor.p99} ms`);
  const warmupSeconds = Number(args.warmup);
  if (warmupSeconds > 0) {
    const w = await runStep(pairs, Math.min(rates[0]!, 1000), warmupSeconds, payload);
    console.log(`warm-up (not counted): ${w.rate}/s for ${w.seconds}s, delivered ${w.delivered}, lost ${w.lost}, p99 ${w.p99} ms`);
  }
  let best: StepResult | undefined;
  const steps: (StepResult & { cpu: CpuRow[]; rssMiB: Record<string, number>; kafkaRequests?: ReturnType<typeof perMessage>; redisCommands?: ReturnType<typeof perMessage> })[] = [];
  for (const rate of rates) {
    const kafkaBefore = args['no-counters'] ? undefined : kafkaRequestCounts();
    const redisBefore = await redisCommandCounts(args.redis!);
    const cpuBefore = processCpuSeconds();
    const stepStarted = performance.now();
    const r = await runStep(pairs, rate, seconds, payload);
    const cpu = cpuRows(cpuBefore, processCpuSeconds(), (performance.now() - stepStarted) / 1000, r.delivered);
    const redisCommands = perMessage(redisBefore, await redisCommandCounts(args.redis!), r.delivered);
    const kafkaRequests = args['no-counters'] ? undefined : perMessage(kafkaBefore, kafkaRequestCounts(), r.delivered);
    const ratio = floor && floor.p99 > 0 ? ` (p99 = ${(r.p99 / floor.p99).toFixed(1)}× kafka floor)` : '';
    console.log(
      `rate ${r.rate}/s for ${r.seconds}s: sent ${r.sent}, acked ${r.acked}, rejected ${r.failed}, delivered ${r.delivered} (${r.deliveredPerSecond} msg/s), ` +
        `lost ${r.lost}, duplicated ${r.duplicated}, latency p50 ${r.p50} ms p95 ${r.p95} ms p99 ${r.p99} ms max ${r.max} ms${ratio}; ` +
        `send→receipt p50 ${r.ack.p50} ms p99 ${r.ack.p99} ms max ${r.ack.max} ms`,
    );
    console.log(`cpu (of one core, over the step and its drain; ms per delivered message): ${formatCpu(cpu)}`);
    if (!args['no-counters']) console.log(formatPerMessage('kafka requests (broker-internal ones included)', kafkaRequests));
    console.log(formatPerMessage('redis commands (script-internal ones included)', redisCommands));
    const rssMiB = processRss();
    console.log(`rss MiB: ${JSON.stringify(rssMiB)}`);
    steps.push({ ...r, cpu, rssMiB, ...(kafkaRequests ? { kafkaRequests } : {}), ...(redisCommands ? { redisCommands } : {}) });
    const good = r.lost === 0 && r.failed === 0 && r.duplicated === 0 && r.p99 < 250;
    if (good) best = r;
    else if (args.sweep) break;
  }
  const verdict = best ? `highest rate with 0 loss and p99 < 250 ms: ${best.rate}/s (delivered ${best.deliveredPerSecond} msg/s, p99 ${best.p99} ms)` : 'no rate met 0 loss and p99 < 250 ms';
  if (args.sweep) console.log(verdict);
  writeReport({ conditions, kafkaFloor: floor ? { avg: floor.avg, p50: floor.p50, p99: floor.p99 } : null, steps, ...(args.sweep ? { verdict, bestRate: best?.rate ?? null } : {}) });
  for (const p of pairs) {
    p.a.close();
    p.b.close();
  }
}

/** CPU of every process over `seconds` without any client: the platform's cost when nobody chats. */
async function quietCpu(seconds: number) {
  const conditions = printConditions({ mode: 'quiet-cpu', seconds });
  const before = processCpuSeconds();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const cpu = cpuRows(before, processCpuSeconds(), seconds, 0);
  console.log(`cpu with no clients (of one core): ${cpu.map((r) => `${r.name} ${r.percent.toFixed(1)}%`).join(', ')}`);
  writeReport({ conditions, cpu });
}

if (args['quiet-cpu']) await quietCpu(Number(args['quiet-cpu']));
else if (args.idle) await idle(Number(args.idle));
else await load();
process.exit(0);
