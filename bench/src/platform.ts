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

interface ProcStat {
  ppid: number;
  /** utime + stime + cutime + cstime (its own CPU and that of its children it already reaped), seconds. */
  cpu: number;
}

function procStats(): Map<number, ProcStat> {
  const out = new Map<number, ProcStat>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // Fields after the command name (which may contain spaces): ppid is the 4th field, utime..cstime the 14th..17th.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(Number(entry), { ppid: Number(f[1]), cpu: (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / TICKS_PER_SECOND });
    } catch {
      /* process gone */
    }
  }
  return out;
}

/**
 * CPU seconds (user + system) used so far by every process with a pid file under .run/pids, its child processes
 * included (Postgres does its work in one backend process per connection, e.g. FerretDB's).
 */
export function processCpuSeconds(): Record<string, number> {
  const stats = procStats();
  const children = new Map<number, number[]>();
  for (const [pid, s] of stats) children.set(s.ppid, [...(children.get(s.ppid) ?? []), pid]);
  const out: Record<string, number> = {};
  for (const [name, pidText] of pidFiles()) {
    const root = Number(pidText);
    if (!stats.has(root)) continue;
    let total = 0;
    for (const queue = [root]; queue.length > 0; ) {
      const pid = queue.pop()!;
      total += stats.get(pid)?.cpu ?? 0;
      queue.push(...(children.get(pid) ?? []));
    }
    out[name] = total;
  }
  // The load generator shares the machine: reported, but not counted as the platform's.
  const own = process.cpuUsage();
  out[LOAD_GENERATOR] = (own.user + own.system) / 1e6;
  return out;
}

/** Name of the bench process itself in CPU reports. */
export const LOAD_GENERATOR = 'load-generator';

export interface CpuRow {
  name: string;
  /** Per cent of one core over the interval. */
  percent: number;
  /** CPU milliseconds per delivered message. */
  msPerMessage: number | null;
}

/** Per process: CPU % of one core over the interval and CPU milliseconds per delivered message; `all` first (the platform's processes, without the load generator). */
export function cpuRows(before: Record<string, number>, after: Record<string, number>, seconds: number, delivered: number): CpuRow[] {
  const row = (name: string, cpu: number): CpuRow => ({
    name,
    percent: Math.round((cpu / seconds) * 1000) / 10,
    msPerMessage: delivered > 0 ? Math.round((cpu * 1e6) / delivered) / 1000 : null,
  });
  const rows = Object.keys(after)
    .filter((name) => before[name] !== undefined)
    .map((name) => ({ name, cpu: after[name]! - before[name]! }))
    .sort((a, b) => b.cpu - a.cpu);
  const platform = rows.filter((r) => r.name !== LOAD_GENERATOR);
  return [row('all', platform.reduce((sum, r) => sum + r.cpu, 0)), ...platform.map((r) => row(r.name, r.cpu)), ...rows.filter((r) => r.name === LOAD_GENERATOR).map((r) => row(r.name, r.cpu))];
}

export function formatCpu(rows: CpuRow[]): string {
  return rows.map((r) => `${r.name} ${r.percent.toFixed(0)}% (${r.msPerMessage === null ? 'n/a' : r.msPerMessage.toFixed(3)} ms/msg)`).join(', ');
}
