import { readFileSync, readdirSync } from 'node:fs';
import { jest } from '@jest/globals';
import { parseAllDocuments } from 'yaml';
import { Kube, resourcePath } from '../controller/kube.ts';
import type { ChatOperator } from '../controller/operator.ts';
import {
  KAFKA_BROKERS, REPO, adminKubeConfig, applyCluster, condition, createNamespace, deleteNamespace, getCluster, installCrdAndRbac,
  operatorKubeConfig, startOperator, tool, waitFor,
} from '../testing/cluster.ts';
import { rawSpec } from '../testing/fixtures.ts';

// Helm 4 against the same API server: lint, server-side dry runs of every ci/ values file, then a real
// install/upgrade/uninstall of both charts, with the operator running as the chart's own ServiceAccount.
jest.setTimeout(120_000);
const admin = new Kube(adminKubeConfig());
const CHARTS = `${REPO}charts`;
let opNs: string;
let appNs: string;
let operator: ChatOperator | undefined;

const ciFiles = (chart: string) => readdirSync(`${CHARTS}/${chart}/ci`).map((f) => `${CHARTS}/${chart}/ci/${f}`);
const docs = (yaml: string) => parseAllDocuments(yaml).map((d) => d.toJS() as { kind: string; metadata: { name: string; labels?: Record<string, string> } }).filter(Boolean);

beforeAll(async () => {
  await installCrdAndRbac(admin); // the CRD must exist before server-side dry runs of a ChatCluster
  opNs = await createNamespace(admin, 'op-helm-operator');
  appNs = await createNamespace(admin, 'op-helm-app');
});

afterAll(async () => {
  await operator?.stop();
  for (const [release, ns] of [['chat', appNs], ['ops', opNs], ['scoped', opNs]] as const) {
    if (ns) await tool('helm', ['uninstall', release, '-n', ns, '--ignore-not-found']).catch(() => undefined);
  }
  if (appNs) await deleteNamespace(admin, appNs);
  if (opNs) await deleteNamespace(admin, opNs);
});

describe('charts', () => {
  it.each(['chat-operator', 'chat-cluster'])('%s: helm lint --strict passes with every ci/ values file', async (chart) => {
    for (const f of ciFiles(chart)) await tool('helm', ['lint', '--strict', `${CHARTS}/${chart}`, '-f', f]);
  });

  it('values.schema.json rejects a typo and a bad value', async () => {
    await expect(tool('helm', ['template', 'x', `${CHARTS}/chat-operator`, '--set', 'replicaCont=2'])).rejects.toThrow(/replicaCont/);
    await expect(tool('helm', ['template', 'x', `${CHARTS}/chat-cluster`, '-f', `${CHARTS}/chat-cluster/ci/default-values.yaml`, '--set', 'kafka.topics.partitions=0'])).rejects.toThrow(/partitions/);
    await expect(tool('helm', ['template', 'x', `${CHARTS}/chat-cluster`])).rejects.toThrow(/kafka.bootstrapServers is required/);
  });

  it.each(['chat-operator', 'chat-cluster'])('%s: every ci/ rendering is accepted by the API server (dry run) and labelled', async (chart) => {
    for (const f of ciFiles(chart)) {
      // Test hooks are left out: their pod names a ServiceAccount that a dry run does not create.
      // A namespace named in a ci file is replaced by the test's (it must exist for the server-side dry run).
      const rendered = await tool('helm', ['template', 'ci', `${CHARTS}/${chart}`, '-n', appNs, '-f', f, '--skip-tests', ...(readFileSync(f, 'utf8').includes('watchNamespace:') ? ['--set', `watchNamespace=${appNs}`] : [])]);
      for (const d of docs(rendered)) {
        expect(d.metadata.labels?.['app.kubernetes.io/part-of']).toBe('sunsu-chat');
        expect(d.metadata.labels?.['app.kubernetes.io/managed-by']).toBe('Helm');
      }
      await tool('kubectl', ['apply', '--dry-run=server', '-n', appNs, '-f', '-'], 60_000, rendered);
    }
  });

  it('watching one namespace grants a Role there instead of a ClusterRole', async () => {
    const rendered = docs(await tool('helm', ['template', 'scoped', `${CHARTS}/chat-operator`, '-n', opNs, '--set', `watchNamespace=${appNs}`]));
    const kinds = rendered.map((d) => d.kind);
    expect(kinds).not.toContain('ClusterRole');
    expect(kinds).not.toContain('ClusterRoleBinding');
    const roles = rendered.filter((d) => d.kind === 'Role') as unknown as { metadata: { name: string; namespace: string } }[];
    expect(roles.map((r) => r.metadata.namespace).sort()).toEqual([appNs, opNs].sort()); // the watch namespace + the Lease's
  });

  it('installs the operator chart: Deployment available (KWOK), least-privilege RBAC; the operator runs as its ServiceAccount', async () => {
    await tool('helm', ['install', 'ops', `${CHARTS}/chat-operator`, '-n', opNs, '--set', 'image.tag=test'], 120_000);
    await waitFor('operator Deployment 2/2', async () => (await admin.get<{ status?: { availableReplicas?: number } }>(resourcePath('apps/v1', 'deployments', opNs, 'ops-chat-operator')))?.status?.availableReplicas === 2, 45_000);
    const role = await admin.get<{ rules: { resources: string[]; verbs: string[] }[] }>(resourcePath('rbac.authorization.k8s.io/v1', 'clusterroles', undefined, 'ops-chat-operator'));
    expect(role?.rules.flatMap((r) => r.resources)).not.toContain('secrets');
    expect(role?.rules.flatMap((r) => r.resources)).not.toContain('pods');
    // The operator as the pods would run it: the release's ServiceAccount, all namespaces, Lease in its namespace.
    operator = startOperator(await operatorKubeConfig(admin, opNs, 'ops-chat-operator'), {
      leaderElection: { enabled: true, namespace: opNs, name: 'chat-operator', leaseDurationMs: 4000, renewDeadlineMs: 3000, retryPeriodMs: 500 },
    });
    await waitFor('leader', async () => operator!.isLeader, 15_000);
  });

  it('installs, upgrades and uninstalls a ChatCluster with the chat-cluster chart', async () => {
    const values = [
      '--set', `kafka.bootstrapServers=${KAFKA_BROKERS}`, '--set', 'kafka.manageTopics=false',
      '--set', 'secrets.create=true',
      '--set', 'secrets.values.redisUrl=redis://r:6379', '--set', 'secrets.values.mongoUrl=mongodb://m:27017/s',
      '--set', 'secrets.values.postgresUrl=postgres://p:5432/s', '--set', 'secrets.values.jwtSecret=0123456789abcdef0123456789abcdef',
      '--set', 'dispatcher.replicas=1',
    ];
    await tool('helm', ['install', 'chat', `${CHARTS}/chat-cluster`, '-n', appNs, ...values], 120_000);
    const ready = await waitFor('ChatCluster Ready', async () => {
      const cr = await getCluster(admin, appNs, 'chat');
      return condition(cr, 'Ready')?.status === 'True' ? cr : undefined;
    }, 60_000);
    expect(ready.metadata.labels?.['app.kubernetes.io/instance']).toBe('chat');
    expect(ready.status?.components?.chatServer?.readyReplicas).toBe(2);

    await tool('helm', ['upgrade', 'chat', `${CHARTS}/chat-cluster`, '-n', appNs, ...values, '--set', 'chatServer.replicas=3'], 120_000);
    await waitFor('upgrade reflected in status', async () => (await getCluster(admin, appNs, 'chat'))?.status?.components?.chatServer?.readyReplicas === 3, 60_000);

    await tool('helm', ['uninstall', 'chat', '-n', appNs, '--wait', '--timeout', '60s'], 90_000);
    expect(await getCluster(admin, appNs, 'chat')).toBeUndefined();
    // owned children go with it (the controller manager's garbage collector follows the owner references)
    await waitFor('children garbage-collected', async () => (await admin.list(resourcePath('apps/v1', 'deployments', appNs))).items.length === 0, 60_000);
  });

  it('uninstalls the operator chart (CRD kept, as Helm does for crds/)', async () => {
    await operator?.stop();
    operator = undefined;
    await tool('helm', ['uninstall', 'ops', '-n', opNs, '--wait', '--timeout', '60s'], 90_000);
    expect(await admin.get(resourcePath('rbac.authorization.k8s.io/v1', 'clusterroles', undefined, 'ops-chat-operator'))).toBeUndefined();
    expect(await admin.get('/apis/apiextensions.k8s.io/v1/customresourcedefinitions/chatclusters.chat.sunsu.dev')).toBeDefined();
  });

  it('a single-namespace install works with its Role only, and is refused everywhere else', async () => {
    await tool('helm', ['install', 'scoped', `${CHARTS}/chat-operator`, '-n', opNs, '--set', `watchNamespace=${appNs}`, '--set', 'replicaCount=0', '--set', 'leaderElection.leaseName=chat-operator-scoped'], 120_000);
    const kc = await operatorKubeConfig(admin, opNs, 'scoped-chat-operator');
    operator = startOperator(kc, {
      watchNamespace: appNs,
      leaderElection: { enabled: true, namespace: opNs, name: 'chat-operator-scoped', leaseDurationMs: 4000, renewDeadlineMs: 3000, retryPeriodMs: 500 },
    });
    await applyCluster(admin, appNs, 'scoped', rawSpec({
      chatServer: { image: 'sunsu/chat-server:1.0.0', replicas: 1 }, dispatcher: { image: 'sunsu/dispatcher:1.0.0', replicas: 1 },
      syncer: { image: 'sunsu/syncer:1.0.0', replicas: 1 }, kafka: { bootstrapServers: KAFKA_BROKERS, manageTopics: false },
    }));
    await waitFor('Ready with a Role only', async () => condition(await getCluster(admin, appNs, 'scoped'), 'Ready')?.status === 'True', 45_000);
    const asScoped = new Kube(kc);
    await expect(asScoped.list(resourcePath('apps/v1', 'deployments', opNs))).rejects.toMatchObject({ status: 403 });
    await expect(asScoped.list('/apis/apps/v1/deployments')).rejects.toMatchObject({ status: 403 });
    await operator.stop();
    operator = undefined;
    await tool('helm', ['uninstall', 'scoped', '-n', opNs, '--wait', '--timeout', '60s'], 90_000);
  });
});
