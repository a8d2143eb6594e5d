import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { jest } from '@jest/globals';
import { createMetricsRegistry } from '@sunsu/observability';
import { Kube, resourcePath } from './kube.ts';
import type { ChatOperator } from './operator.ts';
import {
  KAFKA_BROKERS, REPO, adminKubeConfig, applyCluster, condition, createNamespace, deleteNamespace, getCluster,
  installCrdAndRbac, operatorKubeConfig, startOperator, waitFor,
} from '../testing/cluster.ts';
import { rawSpec } from '../testing/fixtures.ts';

// The API server goes away under a running operator and comes back: the watches must notice, back off, relist and
// carry on — the failure mode behind "the operator silently stopped reacting" reports.
jest.setTimeout(180_000);
const admin = new Kube(adminKubeConfig());
const registry = createMetricsRegistry('chat-operator-resilience');
let operator: ChatOperator;
let ns: string;

const spec = (replicas: number) =>
  rawSpec({
    chatServer: { image: 'sunsu/chat-server:1.0.0', replicas },
    dispatcher: { image: 'sunsu/dispatcher:1.0.0', replicas: 1 },
    syncer: { image: 'sunsu/syncer:1.0.0', replicas: 1 },
    kafka: { bootstrapServers: KAFKA_BROKERS, manageTopics: false },
  });

beforeAll(async () => {
  await installCrdAndRbac(admin);
  ns = await createNamespace(admin, 'op-resilience');
  operator = startOperator(await operatorKubeConfig(admin), { watchNamespace: ns, registry, watchBackoffMaxMs: 4000 });
});

afterAll(async () => {
  await operator?.stop();
  if (ns) await deleteNamespace(admin, ns);
});

it('recovers its watches after the API server restarts and reconciles what changed meanwhile', async () => {
  await applyCluster(admin, ns, 'res', spec(1));
  await waitFor('Ready', async () => condition(await getCluster(admin, ns, 'res'), 'Ready')?.status === 'True', 45_000);

  // Crash kube-apiserver (SIGKILL: a graceful stop would wait for the open watches).
  const pid = Number(readFileSync(`${process.env.SUNSU_RUN ?? `${REPO}.run`}/pids/kube-apiserver.pid`, 'utf8'));
  process.kill(pid, 'SIGKILL');
  await waitFor('API server down', async () => { try { process.kill(pid, 0); return false; } catch { return true; } }, 30_000);
  await new Promise((r) => setTimeout(r, 1500));
  // The whole control plane is restarted: kube-controller-manager does not always recover from a killed API server
  // on its own here, and the test is about the operator, not about it.
  const sh = (cmd: string) => promisify(execFile)('bash', [`${REPO}infra/cluster.sh`, cmd], { timeout: 120_000 });
  const t0 = Date.now();
  await sh('stop');
  await sh('start');
  const restartMs = Date.now() - t0;

  // A change made after the restart must be picked up (watches re-established), within the backoff bound; the
  // status then follows the restarted controller manager and KWOK (slower: they resync from scratch).
  await applyCluster(admin, ns, 'res', spec(3));
  await waitFor('change applied after the restart', async () => (await admin.get<{ spec: { replicas: number } }>(resourcePath('apps/v1', 'deployments', ns, 'res-chat-server')))?.spec.replicas === 3, 30_000);
  const appliedMs = Date.now() - t0 - restartMs;
  await waitFor('status caught up after the restart', async () => {
    const cr = await getCluster(admin, ns, 'res');
    return cr?.status?.components?.chatServer?.readyReplicas === 3 && condition(cr, 'Ready')?.status === 'True';
  }, 90_000);
  process.stderr.write(`control plane restart ${restartMs} ms; change applied ${appliedMs} ms and status Ready ${Date.now() - t0 - restartMs} ms after it\n`);
  const restarts = await registry.getSingleMetricAsString('chat_operator_watch_restarts_total');
  expect(restarts).toMatch(/chat_operator_watch_restarts_total\{[^}]*resource="chatclusters"[^}]*\} [1-9]/);
});
