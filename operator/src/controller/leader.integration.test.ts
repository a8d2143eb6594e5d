import { jest } from '@jest/globals';
import { Kube, resourcePath } from './kube.ts';
import type { ChatOperator } from './operator.ts';
import {
  KAFKA_BROKERS, OPERATOR_NS, adminKubeConfig, applyCluster, condition, createNamespace, deleteNamespace, getCluster,
  installCrdAndRbac, operatorKubeConfig, startOperator, waitFor,
} from '../testing/cluster.ts';
import { rawSpec } from '../testing/fixtures.ts';

// Two operator replicas with the chart's identity compete for one Lease (short durations to keep the test fast).
jest.setTimeout(90_000);
const admin = new Kube(adminKubeConfig());
const leaseName = `chat-operator-it-${process.pid}-${Date.now().toString(36)}`;
let ns: string;
const ops: ChatOperator[] = [];

const lease = () => admin.get<{ spec: { holderIdentity?: string; leaseTransitions?: number } }>(resourcePath('coordination.k8s.io/v1', 'leases', OPERATOR_NS, leaseName));
const spec = (replicas: number) =>
  rawSpec({
    chatServer: { image: 'sunsu/chat-server:1.0.0', replicas },
    dispatcher: { image: 'sunsu/dispatcher:1.0.0', replicas: 1 },
    syncer: { image: 'sunsu/syncer:1.0.0', replicas: 1 },
    kafka: { bootstrapServers: KAFKA_BROKERS, manageTopics: false },
  });
const deploymentReplicas = async () => (await admin.get<{ spec: { replicas: number } }>(resourcePath('apps/v1', 'deployments', ns, 'le-chat-server')))?.spec.replicas;

beforeAll(async () => {
  await installCrdAndRbac(admin);
  ns = await createNamespace(admin, 'op-leader');
  const kc = await operatorKubeConfig(admin);
  for (let i = 0; i < 2; i++) {
    ops.push(startOperator(kc, { identity: `replica-${i}`, watchNamespace: ns, leaderElection: { enabled: true, namespace: OPERATOR_NS, name: leaseName, leaseDurationMs: 4000, renewDeadlineMs: 3000, retryPeriodMs: 500 } }));
  }
});

afterAll(async () => {
  for (const op of ops) await op.stop();
  await admin.delete(resourcePath('coordination.k8s.io/v1', 'leases', OPERATOR_NS, leaseName));
  if (ns) await deleteNamespace(admin, ns);
});

describe('leader election (Lease)', () => {
  it('exactly one replica leads and reconciles; the standby hands over when the leader stops', async () => {
    const leader = await waitFor('a leader', async () => ops.find((o) => o.isLeader));
    const standby = ops.find((o) => o !== leader)!;
    // stays that way: no flapping, never two leaders
    for (let i = 0; i < 6; i++) {
      await new Promise((r) => setTimeout(r, 250));
      expect(ops.filter((o) => o.isLeader)).toEqual([leader]);
    }
    expect(standby.ready).toBe(true); // a standby is ready (it can take over)
    const held = await lease();
    expect(held?.spec.holderIdentity).toMatch(/^replica-[01]$/);

    await applyCluster(admin, ns, 'le', spec(2));
    await waitFor('Ready under the first leader', async () => condition(await getCluster(admin, ns, 'le'), 'Ready')?.status === 'True', 45_000);

    const stoppedAt = Date.now();
    await leader.stop(); // releases the Lease on the way out
    await waitFor('standby takes over', async () => standby.isLeader, 10_000);
    const handover = Date.now() - stoppedAt;
    expect(handover).toBeLessThan(4000); // released, so faster than a lease expiry
    const after = await lease();
    expect(after?.spec.holderIdentity).toBe(standby === ops[0] ? 'replica-0' : 'replica-1');
    expect(after?.spec.leaseTransitions).toBeGreaterThanOrEqual(1);

    // the new leader reconciles changes
    await applyCluster(admin, ns, 'le', spec(3));
    await waitFor('new leader applied the change', async () => (await deploymentReplicas()) === 3, 20_000);
    await waitFor('Ready again', async () => (await getCluster(admin, ns, 'le'))?.status?.components?.chatServer?.readyReplicas === 3, 30_000);
  });
});
