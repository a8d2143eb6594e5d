import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { api, createDirectRoom, randomUserId, ResilientRoomClient, waitFor } from '@sunsu/testkit';
import { REPO, tool } from '../../operator/src/testing/cluster.ts';

export { REPO };

/**
 * Helpers for the tests of the platform on the real node (infra/cluster-e2e.sh installs it and runs them). Clients
 * reach chat-server only through the ingress URL, as browsers do; kubectl and helm act as the platform's operator.
 */
export const URL = process.env.CLUSTER_E2E_URL ?? 'http://chat.sunsu.test:30080';
export const NS = process.env.CLUSTER_E2E_NAMESPACE ?? 'sunsu-e2e';
export const RELEASE = process.env.CLUSTER_E2E_RELEASE ?? 'chat';
export const DB = process.env.CLUSTER_E2E_DB ?? 'sunsu_k8s';
export const MONGO_URL = `mongodb://127.0.0.1:${process.env.FERRETDB_PORT ?? '27027'}/${DB}`;
export const KAFKA_BROKERS = (process.env.CHAT_KAFKA_BROKERS ?? `127.0.0.1:${process.env.KAFKA_PORT ?? '19092'}`).split(',');

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const kubectl = (args: string[], timeoutMs = 60_000): Promise<string> => tool('kubectl', ['-n', NS, ...args], timeoutMs);
export const helm = (args: string[], timeoutMs = 240_000): Promise<string> => tool('helm', [...args, '-n', NS], timeoutMs);

export async function kubeJson<T>(args: string[]): Promise<T> {
  return JSON.parse(await kubectl([...args, '-o', 'json'])) as T;
}

export interface Pod {
  metadata: { name: string; uid: string; deletionTimestamp?: string; labels?: Record<string, string> };
  status: { phase: string; podIP?: string; conditions?: { type: string; status: string }[]; containerStatuses?: { containerID?: string; restartCount: number; ready: boolean }[] };
}
export interface Deployment {
  metadata: { generation: number };
  spec: { replicas?: number; template: { metadata: { annotations?: Record<string, string> } } };
  status: { observedGeneration?: number; replicas?: number; readyReplicas?: number; availableReplicas?: number; updatedReplicas?: number; unavailableReplicas?: number };
}

export const podsOf = async (component: string): Promise<Pod[]> =>
  (await kubeJson<{ items: Pod[] }>(['get', 'pods', '-l', `app.kubernetes.io/name=${component},app.kubernetes.io/instance=${RELEASE}`])).items;
export const deploymentOf = (component: string): Promise<Deployment> => kubeJson<Deployment>(['get', 'deployment', `${RELEASE}-${component}`]);
export const isReady = (p: Pod) => !p.metadata.deletionTimestamp && p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;

/** Rolled out: every desired replica updated and available, nothing old left. */
export async function rolledOut(component: string): Promise<boolean> {
  const d = await deploymentOf(component);
  const want = d.spec.replicas ?? 1;
  return (d.status.observedGeneration ?? 0) >= d.metadata.generation && d.status.updatedReplicas === want && d.status.availableReplicas === want && d.status.replicas === want;
}

/** SIGKILL a pod's container through containerd, as a crash would (the kubelet restarts it in the same pod). */
export async function killContainer(pod: Pod): Promise<void> {
  const id = pod.status.containerStatuses?.[0]?.containerID?.replace(/^containerd:\/\//, '');
  if (!id) throw new Error(`pod ${pod.metadata.name} has no running container`);
  const address = process.env.SUNSU_CONTAINERD_ADDRESS;
  if (!address) throw new Error('SUNSU_CONTAINERD_ADDRESS is not set (eval "$(bash infra/cluster.sh env)")');
  await new Promise<void>((resolve, reject) => {
    const p = spawn('ctr', ['--address', address, '-n', 'k8s.io', 'tasks', 'kill', '--signal', 'SIGKILL', id], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (c: Buffer) => { err += c.toString(); });
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`ctr tasks kill ${id}: ${err}`))));
  });
}

/** A token from the cluster's development sign-in (explicitly enabled in infra/k8s/e2e-values.yaml). */
export async function devToken(userId: string, name: string, role: 'couple' | 'planner' = 'couple'): Promise<string> {
  const res = await api<{ data: { token: string } }>(URL, undefined, 'POST', '/dev/token', { userId, name, role });
  if (res.status !== 200) throw new Error(`dev sign-in through the ingress failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.data.token;
}

interface TrafficRoom {
  code: string;
  clients: [ResilientRoomClient, ResilientRoomClient];
  sent: string[];
}

/**
 * Steady chat traffic through the ingress: `pairs` 1:1 rooms, the two participants writing in turn every
 * `intervalMs`. Clients are ResilientRoomClients: they reconnect through the same URL (the ingress picks a live
 * pod), resend unacknowledged messages with the same id and catch up with `after=`.
 */
export class Traffic {
  readonly rooms: TrafficRoom[] = [];
  #running = true;
  #loops: Promise<void>[] = [];

  static async start(pairs: number, intervalMs: number): Promise<Traffic> {
    const t = new Traffic();
    for (let i = 0; i < pairs; i++) {
      const a = randomUserId();
      const b = randomUserId();
      const [ta, tb] = await Promise.all([devToken(a, `Couple ${i}`), devToken(b, `Planner ${i}`, 'planner')]);
      const code = await createDirectRoom(URL, ta, b);
      const clients: [ResilientRoomClient, ResilientRoomClient] = [new ResilientRoomClient([URL], ta, code), new ResilientRoomClient([URL], tb, code)];
      await Promise.all(clients.map((c) => c.start()));
      t.rooms.push({ code, clients, sent: [] });
    }
    for (const room of t.rooms) t.#loops.push(t.#loop(room, intervalMs));
    return t;
  }

  async #loop(room: TrafficRoom, intervalMs: number): Promise<void> {
    for (let i = 0; this.#running; i++) {
      const id = randomUUID();
      room.sent.push(id);
      await room.clients[i % 2]!.send(`${room.code} #${i}`, id);
      await sleep(intervalMs);
    }
  }

  get sentTotal(): number {
    return this.rooms.reduce((n, r) => n + r.sent.length, 0);
  }

  get reconnects(): number {
    return this.rooms.reduce((n, r) => n + r.clients[0].reconnects + r.clients[1].reconnects, 0);
  }

  /** Stop writing (every started send finishes: it resends until acknowledged). */
  async stop(): Promise<void> {
    this.#running = false;
    await Promise.all(this.#loops);
  }

  /**
   * Every participant ends with every message of its room exactly once, numbered 1..N without gaps, and was never
   * pushed one message twice. Returns how many messages arrived as live pushes vs. by catch-up.
   */
  async verify(timeoutMs = 60_000): Promise<{ messages: number; pushed: number; caughtUp: number }> {
    let pushed = 0;
    let delivered = 0;
    for (const room of this.rooms) {
      for (const c of room.clients) {
        await waitFor(async () => {
          if (c.messages.size < room.sent.length) await c.catchUp();
          return c.messages.size >= room.sent.length;
        }, timeoutMs, 250);
        const ids = [...c.messages.values()].map((m) => m.messageId);
        if (c.messages.size !== room.sent.length || new Set(ids).size !== ids.length) {
          throw new Error(`room ${room.code}: ${c.messages.size} messages held (${new Set(ids).size} distinct ids), ${room.sent.length} sent`);
        }
        const missing = room.sent.filter((id) => !ids.includes(id));
        if (missing.length > 0) throw new Error(`room ${room.code}: ${missing.length} sent messages never arrived`);
        if (c.contiguous() !== room.sent.length) throw new Error(`room ${room.code}: sequences are not 1..${room.sent.length}`);
        if (new Set(c.pushedSequences).size !== c.pushedSequences.length) throw new Error(`room ${room.code}: a message was pushed twice`);
        pushed += new Set(c.pushedSequences).size;
        delivered += c.messages.size;
      }
    }
    return { messages: this.sentTotal, pushed, caughtUp: delivered - pushed };
  }

  async close(): Promise<void> {
    this.#running = false;
    await Promise.allSettled(this.rooms.flatMap((r) => r.clients.map((c) => c.stop())));
  }
}

/** Sample `probe` every `everyMs` while `during` runs, plus `afterMs` more; returns all samples. */
export async function sampleWhile<T>(probe: () => Promise<T>, during: Promise<unknown>, everyMs = 200, afterMs = 0): Promise<T[]> {
  const samples: T[] = [];
  let done = false;
  void during.finally(() => { done = true; });
  while (!done) {
    samples.push(await probe().catch(() => undefined as T));
    await sleep(everyMs);
  }
  await during;
  const until = Date.now() + afterMs;
  while (Date.now() < until) {
    samples.push(await probe().catch(() => undefined as T));
    await sleep(everyMs);
  }
  return samples.filter((s) => s !== undefined);
}
