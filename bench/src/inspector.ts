import { readFileSync } from 'node:fs';
import WebSocket from 'ws';
import { ROOT } from './platform.ts';

/** What a forced collection left in the process. */
export interface Settled {
  rssBytes: number;
  heapUsedBytes: number;
}

const INSPECTOR_PORT = 9229;

/**
 * Force a full garbage collection in a running service and read its memory, through the Node inspector: SIGUSR1
 * makes Node open it on 127.0.0.1:9229 (loopback only), the bench asks for `HeapProfiler.collectGarbage`, reads
 * `process.memoryUsage()` and closes the inspector again. No flag or endpoint in the service itself.
 */
export async function collectGarbage(pidFile: string): Promise<Settled> {
  const pid = Number(readFileSync(`${ROOT}.run/pids/${pidFile}.pid`, 'utf8').trim());
  process.kill(pid, 'SIGUSR1');
  let target: string | undefined;
  for (let i = 0; i < 50 && !target; i++) {
    try {
      const list = (await (await fetch(`http://127.0.0.1:${INSPECTOR_PORT}/json/list`)).json()) as { webSocketDebuggerUrl: string }[];
      target = list[0]?.webSocketDebuggerUrl;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  if (!target) throw new Error(`the inspector of ${pidFile} did not open on 127.0.0.1:${INSPECTOR_PORT}`);
  const ws = new WebSocket(target);
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  let nextId = 0;
  const call = (method: string, params: Record<string, unknown> = {}) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const id = ++nextId;
      const onMessage = (data: Buffer) => {
        const reply = JSON.parse(data.toString('utf8')) as { id?: number; result?: Record<string, unknown>; error?: { message: string } };
        if (reply.id !== id) return;
        ws.off('message', onMessage);
        if (reply.error) reject(new Error(reply.error.message));
        else resolve(reply.result ?? {});
      };
      ws.on('message', onMessage);
      ws.send(JSON.stringify({ id, method, params }));
    });
  try {
    // Twice: the first pass runs finalizers that free more on the second.
    await call('HeapProfiler.collectGarbage');
    await call('HeapProfiler.collectGarbage');
    await new Promise((r) => setTimeout(r, 2000));
    const result = await call('Runtime.evaluate', { expression: 'JSON.stringify(process.memoryUsage())', returnByValue: true });
    const usage = JSON.parse(String((result.result as { value: string }).value)) as { rss: number; heapUsed: number };
    return { rssBytes: usage.rss, heapUsedBytes: usage.heapUsed };
  } finally {
    // Close the inspector: the service must not keep a debugging port open after the measurement.
    ws.send(JSON.stringify({ id: ++nextId, method: 'Runtime.evaluate', params: { expression: "process.getBuiltinModule('node:inspector').close()" } }));
    await new Promise((r) => setTimeout(r, 200));
    ws.terminate();
  }
}
