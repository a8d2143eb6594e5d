import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createWriteStream, mkdirSync } from 'node:fs';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

/** A port the OS says is free right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

export interface RunningService {
  name: string;
  port: number;
  url: string;
  process: ChildProcess;
  /** kill -9: no shutdown hooks, sockets dropped, nothing flushed. */
  crash(): Promise<void>;
  /** SIGTERM and wait for exit. */
  stop(): Promise<void>;
}

/** Children still running when the test process exits (a timed-out hook, --forceExit) are killed with it. */
const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
});

type ServiceName = 'chat-server' | 'dispatcher' | 'syncer';
const PORT_VARS: Record<ServiceName, string> = { 'chat-server': 'CHAT_HTTP_PORT', dispatcher: 'CHAT_DISPATCHER_HTTP_PORT', syncer: 'CHAT_SYNCER_HTTP_PORT' };

/**
 * Start one of the platform's services as its own process (exactly as in production: `node src/main.ts`) and
 * wait until its /readyz answers 200. Logs go to .run/logs/test-<name>.log.
 */
export async function startService(service: ServiceName, name: string, env: Record<string, string> = {}): Promise<RunningService> {
  const port = await freePort();
  const portVar = PORT_VARS[service];
  mkdirSync(`${ROOT}.run/logs`, { recursive: true });
  const log = createWriteStream(`${ROOT}.run/logs/test-${name}.log`, { flags: 'a' });
  const child = spawn(process.execPath, ['src/main.ts'], {
    cwd: `${ROOT}services/${service}`,
    env: { ...process.env, NODE_OPTIONS: '', CHAT_SERVER_ID: name, [portVar]: String(port), LOG_LEVEL: 'info', CHAT_KAFKA_SESSION_TIMEOUT_MS: '6000', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  // A dispatcher is ready only after joining its consumer groups, which can wait for a crashed member's session.
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode} at start (see .run/logs/test-${name}.log)`);
    try {
      const res = await fetch(`${url}/readyz`);
      if (res.status === 200) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${name} not ready after 60 s`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    name,
    port,
    url,
    process: child,
    async crash() {
      child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Send limits high enough for tests that stream hundreds of messages from one connection. */
export const FAST_SEND_LIMITS = { CHAT_STOMP_SEND_RATE: '5000', CHAT_STOMP_SEND_BURST: '5000' };

export interface Platform {
  chat: RunningService[];
  dispatcher: RunningService;
  /** Present when started with `syncer: true`. */
  syncer?: RunningService;
  stop(): Promise<void>;
}

/** N chat-server processes and one dispatcher, started together, named `<prefix>-chat-<i>` / `<prefix>-dispatcher`. */
export async function startPlatform(
  prefix: string,
  options: { chatServers?: number; chatEnv?: Record<string, string>; dispatcherEnv?: Record<string, string>; syncer?: boolean; syncerEnv?: Record<string, string>; env?: Record<string, string> } = {},
): Promise<Platform> {
  const count = options.chatServers ?? 1;
  const env = options.env ?? {};
  const started = await Promise.all([
    startService('dispatcher', `${prefix}-dispatcher`, { ...env, ...options.dispatcherEnv }),
    ...Array.from({ length: count }, (_, i) => startService('chat-server', `${prefix}-chat-${i + 1}`, { ...env, ...options.chatEnv })),
  ]);
  // Each platform gets its own flush queue, so a developer's running syncer never takes its jobs.
  if (options.syncer) started.push(await startService('syncer', `${prefix}-syncer`, { CHAT_SYNC_QUEUE: `sync-${prefix}`, ...env, ...options.syncerEnv }));
  const [dispatcher, ...rest] = started as [RunningService, ...RunningService[]];
  const chat = rest.slice(0, count);
  return {
    chat,
    dispatcher,
    ...(options.syncer ? { syncer: rest[count]! } : {}),
    async stop() {
      await Promise.allSettled(started.map((s) => s.stop()));
    },
  };
}
