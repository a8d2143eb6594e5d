import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRedis } from '@sunsu/redis';
import { ROOT } from './platform.ts';

/** Cumulative counters of a server; a step reports the difference per delivered message. */
export type Counts = Record<string, number>;

/** Calls per Redis command since the server started (`INFO commandstats`; commands run by scripts included). */
export async function redisCommandCounts(url: string): Promise<Counts | undefined> {
  const redis = createRedis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    const info = await redis.info('commandstats');
    const out: Counts = {};
    for (const m of info.matchAll(/^cmdstat_(\S+):calls=(\d+)/gm)) out[m[1]!] = Number(m[2]);
    return out;
  } catch (err) {
    console.error(`redis command counts unavailable: ${(err as Error).message}`);
    return undefined;
  } finally {
    redis.disconnect();
  }
}

const JMX_PORT = process.env.BENCH_KAFKA_JMX_PORT ?? '19098';

/**
 * Requests the broker served since it started, per API (its `RequestsPerSec` meters, read over JMX). The bench
 * switches the broker's JMX agent on when it first needs it, on 127.0.0.1 only (`jcmd`, same user), so a broker
 * that is not benchmarked never listens on a JMX port.
 */
export function kafkaRequestCounts(): Counts | undefined {
  try {
    const pid = readFileSync(`${ROOT}.run/pids/kafka.pid`, 'utf8').trim();
    const jcmd = (...args: string[]) => execFileSync('jcmd', [pid, ...args], { encoding: 'utf8', timeout: 30_000, stdio: ['ignore', 'pipe', 'ignore'] });
    // An agent started earlier (an earlier step or run) keeps its port.
    let port = /jmxremote\.port = (\d+)/.exec(jcmd('ManagementAgent.status'))?.[1];
    if (!port) {
      jcmd('ManagementAgent.start', `jmxremote.port=${JMX_PORT}`, `jmxremote.rmi.port=${JMX_PORT}`, 'jmxremote.host=127.0.0.1', 'jmxremote.authenticate=false', 'jmxremote.ssl=false');
      port = JMX_PORT;
    }
    const raw = execFileSync(
      'bash',
      [
        `${ROOT}infra/kafka.sh`,
        'tool',
        'org.apache.kafka.tools.JmxTool',
        '--jmx-url',
        `service:jmx:rmi:///jndi/rmi://127.0.0.1:${port}/jmxrmi`,
        '--object-name',
        'kafka.network:type=RequestMetrics,name=RequestsPerSec,request=*,version=*',
        '--attributes',
        'Count',
        '--one-time',
        'true',
        '--report-format',
        'properties',
      ],
      { encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', 'ignore'] },
    );
    const out: Counts = {};
    for (const m of raw.matchAll(/request=(\w+),version=\d+:Count=(\d+)/g)) out[m[1]!] = (out[m[1]!] ?? 0) + Number(m[2]);
    return Object.keys(out).length > 0 ? out : undefined;
  } catch (err) {
    console.error(`kafka request counts unavailable: ${(err as Error).message.split('\n')[0]}`);
    return undefined;
  }
}

/** Per delivered message, largest first (counts that did not move are left out). */
export function perMessage(before: Counts | undefined, after: Counts | undefined, delivered: number): { total: number; by: Record<string, number> } | undefined {
  if (!before || !after || delivered === 0) return undefined;
  const rows = Object.entries(after)
    .map(([name, n]) => [name, n - (before[name] ?? 0)] as const)
    .filter(([, d]) => d > 0)
    .sort((a, b) => b[1] - a[1]);
  const round = (x: number) => Math.round((x / delivered) * 1000) / 1000;
  return { total: round(rows.reduce((s, [, d]) => s + d, 0)), by: Object.fromEntries(rows.map(([name, d]) => [name, round(d)])) };
}

export function formatPerMessage(label: string, p: ReturnType<typeof perMessage>, top = 8): string {
  if (!p) return `${label}: n/a`;
  const rows = Object.entries(p.by).slice(0, top).map(([name, v]) => `${name} ${v}`);
  return `${label} per delivered message: ${p.total} (${rows.join(', ')})`;
}
