import { execFileSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** RSS (MiB) of every process with a pid file under .run/pids (servers and services started by the scripts). */
export function processRss(): Record<string, number> {
  const out: Record<string, number> = {};
  let files: string[];
  try {
    files = readdirSync(`${ROOT}.run/pids`).filter((f) => f.endsWith('.pid'));
  } catch {
    return out;
  }
  for (const f of files) {
    try {
      const pid = readFileSync(`${ROOT}.run/pids/${f}`, 'utf8').trim();
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
      out[f.replace(/\.pid$/, '')] = Math.round(kb / 102.4) / 10;
    } catch {
      /* process gone */
    }
  }
  return out;
}

export function rssOfPidFile(name: string): number {
  const pid = readFileSync(`${ROOT}.run/pids/${name}.pid`, 'utf8').trim();
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
}

export function machine(): string {
  const cpu = cpus();
  return `${cpu.length} cores (${cpu[0]?.model.trim() ?? 'unknown'}), ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}`;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Kafka's own end-to-end latency (produce acks=all → consume) for the same payload size: the floor we compare to. */
export function kafkaFloor(broker: string, payloadBytes: number, messages = 5000): { p50: number; p99: number; avg: number; raw: string } | undefined {
  try {
    const raw = execFileSync('bash', [`${ROOT}infra/kafka.sh`, 'tool', 'org.apache.kafka.tools.EndToEndLatency', broker, 'bench-e2e-latency', String(messages), 'all', String(payloadBytes)], {
      encoding: 'utf8',
      timeout: 120_000,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const avg = Number(/Avg latency: ([\d.]+)/.exec(raw)?.[1]);
    const p50 = Number(/50th = ([\d.]+)/.exec(raw)?.[1]);
    const p99 = Number(/99th = ([\d.]+)/.exec(raw)?.[1]);
    return { avg, p50, p99, raw: raw.trim().split('\n').slice(-2).join(' | ') };
  } catch (err) {
    console.error(`kafka floor: EndToEndLatency failed: ${(err as Error).message.split('\n')[0]}`);
    return undefined;
  }
}

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ; 100 on Linux). */
const TICKS_PER_SECOND = 100;

function pidFiles(): [string, string][] {
  try {
    return readdirSync(`${ROOT}.run/pids`)
      .filter((f) => f.endsWith('.pid'))
      .map((f) => [f.replace(/\.pid$/, ''), readFileSync(`${ROOT}.run/pids/${f}`, 'utf8').trim()]);
  } catch {
    return [];
  }
}

/** CPU seconds (user + system) used so far by every process with a pid file under .run/pids. */
export function processCpuSeconds(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, pid] of pidFiles()) {
    try {
      // Fields after the command name (which may contain spaces): utime is the 14th field, stime the 15th.
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out[name] = (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
    } catch {
      /* process gone */
    }
  }
  return out;
}

/** Per process: CPU % of one core over the interval and CPU milliseconds per delivered message. */
export function cpuReport(before: Record<string, number>, after: Record<string, number>, seconds: number, delivered: number): string {
  const rows = Object.keys(after)
    .filter((name) => before[name] !== undefined)
    .map((name) => ({ name, cpu: after[name]! - before[name]! }))
    .sort((a, b) => b.cpu - a.cpu);
  const total = rows.reduce((sum, r) => sum + r.cpu, 0);
  const line = (name: string, cpu: number) => `${name} ${((cpu / seconds) * 100).toFixed(0)}% (${delivered > 0 ? ((cpu * 1000) / delivered).toFixed(3) : 'n/a'} ms/msg)`;
  return [line('all', total), ...rows.map((r) => line(r.name, r.cpu))].join(', ');
}
