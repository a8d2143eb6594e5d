import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { jest } from '@jest/globals';
import { Kube, resourcePath } from './controller/kube.ts';
import {
  OPERATOR_NS, REPO, adminKubeConfig, applyCluster, condition, createNamespace, deleteNamespace, getCluster,
  installCrdAndRbac, operatorKubeConfig, waitFor,
} from './testing/cluster.ts';
import { rawSpec } from './testing/fixtures.ts';

// Two real operator processes (node operator/src/main.ts, as the chart's ServiceAccount) on one Lease: health,
// readiness, metrics; the leader is killed (-9) and the standby takes over after the lease expires; the new leader
// stops gracefully (SIGTERM: exit 0, Lease handed back).
jest.setTimeout(90_000);
const admin = new Kube(adminKubeConfig());
const leaseName = `chat-operator-main-${process.pid}`;
let ns: string;
let kubeconfigFile = '';

interface Replica { name: string; port: number; proc: ChildProcess; output: string }
const replicas: Replica[] = [];

const freePort = () => new Promise<number>((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => { const p = (s.address() as { port: number }).port; s.close(() => resolve(p)); });
});
const http = async (r: Replica, path: string) => {
  const res = await fetch(`http://127.0.0.1:${r.port}${path}`);
  return { status: res.status, text: await res.text() };
};
const isLeader = async (r: Replica) => {
  try {
    const res = await http(r, '/readyz');
    return res.status === 200 && (JSON.parse(res.text) as { leader: boolean }).leader;
  } catch {
    return false;
  }
};
const leaderCount = async () => (await Promise.all(replicas.filter((r) => r.proc.exitCode === null && r.proc.signalCode === null).map(isLeader))).filter(Boolean).length;
const spec = (replicasWanted: number) => rawSpec({
  chatServer: { image: 'sunsu/chat-server:1.0.0', replicas: replicasWanted },
  dispatcher: { image: 'sunsu/dispatcher:1.0.0', replicas: 1 },
  syncer: { image: 'sunsu/syncer:1.0.0', replicas: 1 },
  kafka: { bootstrapServers: '127.0.0.1:9', manageTopics: false },
});

beforeAll(async () => {
  await installCrdAndRbac(admin);
  ns = await createNamespace(admin, 'op-main');
  const kc = await operatorKubeConfig(admin);
  mkdirSync(`${REPO}.run/tmp`, { recursive: true });
  const file = `${REPO}.run/tmp/operator-main-${process.pid}.kubeconfig`;
  kubeconfigFile = file;
  writeFileSync(file, kc.exportConfig(), { mode: 0o600 });
  for (const name of ['main-a', 'main-b']) {
    const port = await freePort();
    const proc = spawn(process.execPath, ['operator/src/main.ts'], {
      cwd: REPO,
      env: {
        ...process.env, KUBECONFIG: file, OPERATOR_HTTP_PORT: String(port), OPERATOR_IDENTITY: name, OPERATOR_LEASE_NAMESPACE: OPERATOR_NS,
        OPERATOR_LEASE_NAME: leaseName, OPERATOR_LEASE_DURATION_SECONDS: '4', OPERATOR_LEASE_RENEW_DEADLINE_SECONDS: '3',
        OPERATOR_LEASE_RETRY_SECONDS: '0.5', OPERATOR_WATCH_NAMESPACE: ns, LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const r: Replica = { name, port, proc, output: '' };
    proc.stdout?.on('data', (c: Buffer) => { r.output += c.toString(); });
    proc.stderr?.on('data', (c: Buffer) => { r.output += c.toString(); });
    replicas.push(r);
  }
});

afterAll(async () => {
  for (const r of replicas) if (r.proc.exitCode === null && r.proc.signalCode === null) r.proc.kill('SIGKILL');
  await admin.delete(resourcePath('coordination.k8s.io/v1', 'leases', OPERATOR_NS, leaseName));
  if (kubeconfigFile) rmSync(kubeconfigFile, { force: true }); // it holds a token
  if (ns) await deleteNamespace(admin, ns);
});

describe('operator processes', () => {
  let leader: Replica;
  let standby: Replica;

  it('serve health and metrics; exactly one leads and does the work', async () => {
    for (const r of replicas) await waitFor(`${r.name} healthz`, async () => (await http(r, '/healthz')).status === 200, 20_000);
    await waitFor('one leader', async () => (await leaderCount()) === 1, 20_000);
    leader = (await isLeader(replicas[0]!)) ? replicas[0]! : replicas[1]!;
    standby = replicas.find((r) => r !== leader)!;
    expect((await http(standby, '/readyz')).status).toBe(200); // a standby is ready: it can take over

    await applyCluster(admin, ns, 'proc', spec(1));
    await waitFor('Ready', async () => condition(await getCluster(admin, ns, 'proc'), 'Ready')?.status === 'True', 45_000);
    const lm = (await http(leader, '/metrics')).text;
    expect(lm).toMatch(/chat_operator_reconcile_total\{result="success",service="chat-operator"\} [1-9]/);
    expect(lm).toMatch(/chat_operator_leader\{service="chat-operator"\} 1/);
    expect(lm).toMatch(/chat_operator_chatclusters\{service="chat-operator"\} 1/);
    const sm = (await http(standby, '/metrics')).text;
    expect(sm).toMatch(/chat_operator_leader\{service="chat-operator"\} 0/);
    expect(sm).not.toMatch(/chat_operator_reconcile_total\{result="success"/); // the standby did no work
    expect(leader.output).toContain('"msg":"chat-operator running"');
  });

  it('a killed leader is replaced once its lease expires, and the new leader reconciles', async () => {
    const killedAt = Date.now();
    leader.proc.kill('SIGKILL');
    await waitFor('standby leads', () => isLeader(standby), 20_000, 100);
    const handover = Date.now() - killedAt;
    expect(handover).toBeGreaterThan(2000); // no release from a killed process: the lease had to expire (4 s)
    expect(handover).toBeLessThan(12_000);
    const lease = await admin.get<{ spec: { holderIdentity?: string; leaseTransitions?: number } }>(resourcePath('coordination.k8s.io/v1', 'leases', OPERATOR_NS, leaseName));
    expect(lease?.spec.holderIdentity).toBe(standby.name);

    await applyCluster(admin, ns, 'proc', spec(2));
    await waitFor('new leader reconciled', async () => (await getCluster(admin, ns, 'proc'))?.status?.components?.chatServer?.readyReplicas === 2, 30_000);
  });

  it('exits 0 on SIGTERM and hands the Lease back', async () => {
    const exited = new Promise<number | null>((resolve) => standby.proc.once('exit', (code) => resolve(code)));
    standby.proc.kill('SIGTERM');
    const code = await Promise.race([exited, new Promise<string>((r) => setTimeout(() => r('timeout'), 15_000))]);
    expect(code).toBe(0);
    const lease = await admin.get<{ spec: { holderIdentity?: string } }>(resourcePath('coordination.k8s.io/v1', 'leases', OPERATOR_NS, leaseName));
    expect(lease?.spec.holderIdentity).toBeUndefined();
    expect(standby.output).toContain('"msg":"released leadership"');
  });
});
