import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { jest } from '@jest/globals';
import { Kube, resourcePath } from './controller/kube.ts';
import {
  OPERATOR_NS, REPO, adminKubeConfig, applyCluster, condition, createNamespace, deleteNamespace, getCluster,
  installCrdAndRbac, operatorKubeConfig, waitFor,
} from './testing/cluster.ts';
import { rawSpec } from './testing/fixtures.ts';

// The operator as a real process (node operator/src/main.ts) with the chart's ServiceAccount: health, readiness,
// metrics, and a graceful SIGTERM that hands the Lease back.
jest.setTimeout(90_000);
const admin = new Kube(adminKubeConfig());
const leaseName = `chat-operator-main-${process.pid}`;
let ns: string;
let proc: ChildProcess | undefined;
let port: number;
let output = '';

const freePort = () => new Promise<number>((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => { const p = (s.address() as { port: number }).port; s.close(() => resolve(p)); });
});
const http = async (path: string) => {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: res.status, text: await res.text() };
};

beforeAll(async () => {
  await installCrdAndRbac(admin);
  ns = await createNamespace(admin, 'op-main');
  const kc = await operatorKubeConfig(admin);
  mkdirSync(`${REPO}.run/tmp`, { recursive: true });
  const file = `${REPO}.run/tmp/operator-main-${process.pid}.kubeconfig`;
  writeFileSync(file, kc.exportConfig(), { mode: 0o600 });
  port = await freePort();
  proc = spawn(process.execPath, ['operator/src/main.ts'], {
    cwd: REPO,
    env: {
      ...process.env, KUBECONFIG: file, OPERATOR_HTTP_PORT: String(port), OPERATOR_IDENTITY: 'main-test', OPERATOR_LEASE_NAMESPACE: OPERATOR_NS,
      OPERATOR_LEASE_NAME: leaseName, OPERATOR_WATCH_NAMESPACE: ns, LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.stdout?.on('data', (c: Buffer) => { output += c.toString(); });
  proc.stderr?.on('data', (c: Buffer) => { output += c.toString(); });
});

afterAll(async () => {
  if (proc && proc.exitCode === null) proc.kill('SIGKILL');
  await admin.delete(resourcePath('coordination.k8s.io/v1', 'leases', OPERATOR_NS, leaseName));
  if (ns) await deleteNamespace(admin, ns);
});

describe('operator process', () => {
  it('serves health, readiness as leader, and metrics while it reconciles', async () => {
    await waitFor('healthz', async () => (await http('/healthz')).status === 200, 20_000);
    await waitFor('ready as leader', async () => {
      const r = await http('/readyz');
      return r.status === 200 && (JSON.parse(r.text) as { leader: boolean }).leader;
    }, 20_000);
    await applyCluster(admin, ns, 'proc', rawSpec({
      chatServer: { image: 'sunsu/chat-server:1.0.0', replicas: 1 },
      dispatcher: { image: 'sunsu/dispatcher:1.0.0', replicas: 1 },
      syncer: { image: 'sunsu/syncer:1.0.0', replicas: 1 },
      kafka: { bootstrapServers: '127.0.0.1:9', manageTopics: false },
    }));
    await waitFor('Ready', async () => condition(await getCluster(admin, ns, 'proc'), 'Ready')?.status === 'True', 45_000);
    const metrics = (await http('/metrics')).text;
    expect(metrics).toMatch(/chat_operator_reconcile_total\{result="success",service="chat-operator"\} [1-9]/);
    expect(metrics).toMatch(/chat_operator_leader\{service="chat-operator"\} 1/);
    expect(metrics).toMatch(/chat_operator_chatclusters\{service="chat-operator"\} 1/);
    expect(output).toContain('"msg":"chat-operator running"');
  });

  it('exits 0 on SIGTERM and releases the Lease', async () => {
    const exited = new Promise<number | null>((resolve) => proc!.once('exit', (code) => resolve(code)));
    proc!.kill('SIGTERM');
    const code = await Promise.race([exited, new Promise<string>((r) => setTimeout(() => r('timeout'), 15_000))]);
    expect(code).toBe(0);
    const lease = await admin.get<{ spec: { holderIdentity?: string } }>(resourcePath('coordination.k8s.io/v1', 'leases', OPERATOR_NS, leaseName));
    expect(lease?.spec.holderIdentity).toBeUndefined();
    expect(output).toContain('"msg":"released leadership"');
  });
});
