import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { allTopics } from '@sunsu/contracts';
import { createKafkaBus } from '@sunsu/kafka';
import { createLogger, createMetricsRegistry } from '@sunsu/observability';
import { chatClusterCrd } from '../api/crd.ts';
import { API_VERSION, PLURAL, type ChatCluster } from '../api/spec.ts';
import { ChatOperator, type OperatorOptions } from '../controller/operator.ts';
import { Kube, resourcePath } from '../controller/kube.ts';
import { kafkaAdminFactory } from '../kafka.ts';

/**
 * Helpers for integration tests against the control plane of infra/cluster.sh (started by `make test` /
 * `make cluster-up`). Endpoints come from the environment, with defaults matching the scripts.
 */
export const REPO = fileURLToPath(new URL('../../../', import.meta.url));
export const KUBECONFIG = process.env.SUNSU_KUBECONFIG ?? `${REPO}.run/kubeconfig`;
const cache = process.env.SUNSU_CACHE ?? `${process.env.XDG_CACHE_HOME ?? `${homedir()}/.cache`}/sunsu`;
export const KUBE_TOOLS = process.env.SUNSU_KUBE_TOOLS ?? `${cache}/helm-kubectl-2.2.2`;
export const KAFKA_BROKERS = process.env.CHAT_KAFKA_BROKERS ?? '127.0.0.1:19092';
/** Namespace of the test install of the operator chart (RBAC only, no pods): the operator's identity in tests. */
export const OPERATOR_NS = 'sunsu-operator-it';
export const OPERATOR_RELEASE = 'chat-operator-it';
export const OPERATOR_SA = `${OPERATOR_RELEASE}`;

export function adminKubeConfig(): KubeConfig {
  if (!existsSync(KUBECONFIG)) throw new Error(`no kubeconfig at ${KUBECONFIG}: start the control plane with \`make cluster-up\``);
  const kc = new KubeConfig();
  kc.loadFromFile(KUBECONFIG);
  return kc;
}

/** Run the cached helm or kubectl against the test cluster; rejects with stderr on a non-zero exit. */
export function tool(name: 'helm' | 'kubectl', args: string[], timeoutMs = 60_000, input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(`${KUBE_TOOLS}/${name}`, args, {
      env: { ...process.env, KUBECONFIG, HELM_CACHE_HOME: `${REPO}.run/helm/cache`, HELM_CONFIG_HOME: `${REPO}.run/helm/config`, HELM_DATA_HOME: `${REPO}.run/helm/data` },
      timeout: timeoutMs,
    });
    let out = '';
    let err = '';
    p.stdout.on('data', (c: Buffer) => { out += c.toString(); });
    p.stderr.on('data', (c: Buffer) => { err += c.toString(); });
    p.on('error', reject);
    p.on('close', (code, signal) => (code === 0 ? resolve(out) : reject(new Error(`${name} ${args.join(' ')} failed (${signal ?? code}): ${err || out}`))));
    p.stdin.end(input ?? '');
  });
}

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 30_000, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/**
 * The cluster has a real node and a KWOK-simulated one (label type=kwok, taint sunsu.dev/simulated). Test namespaces
 * put their pods on the simulated node (PodNodeSelector and PodTolerationRestriction admission on the API server):
 * the tests' images do not exist, and simulated pods go Running/Ready at once.
 */
export const SIMULATED_NODE_ANNOTATIONS: Record<string, string> = {
  'scheduler.alpha.kubernetes.io/node-selector': 'type=kwok',
  'scheduler.alpha.kubernetes.io/defaultTolerations': '[{"key":"sunsu.dev/simulated","operator":"Exists","effect":"NoSchedule"}]',
};

let seq = 0;
export async function createNamespace(kube: Kube, prefix: string): Promise<string> {
  const name = `${prefix}-${process.pid}-${Date.now().toString(36)}-${seq++}`.slice(0, 63);
  await kube.request('POST', '/api/v1/namespaces', {
    apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'sunsu.dev/test': 'operator' }, annotations: SIMULATED_NODE_ANNOTATIONS },
  });
  return name;
}

/** A namespace with a fixed name whose pods go to the simulated node; idempotent (server-side apply). */
export async function ensureSimulatedNamespace(kube: Kube, name: string): Promise<void> {
  const ns = { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'sunsu.dev/test': 'operator' }, annotations: SIMULATED_NODE_ANNOTATIONS } };
  await kube.request('PATCH', `/api/v1/namespaces/${name}?fieldManager=sunsu-tests&force=true`, ns, 'application/apply-patch+yaml');
}

export const deleteNamespace = (kube: Kube, name: string): Promise<void> => kube.delete(`/api/v1/namespaces/${name}`);

/** The current CRD (from crd.ts) and the operator chart's RBAC, installed once; idempotent. */
export async function installCrdAndRbac(kube: Kube): Promise<void> {
  await kube.apply(chatClusterCrd() as unknown as KubernetesObject, 'sunsu-tests');
  await waitFor('CRD established', async () => {
    const crd = await kube.get<{ status?: { conditions?: { type: string; status: string }[] } }>(`/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${PLURAL}.chat.sunsu.dev`);
    return crd?.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
  });
  await ensureSimulatedNamespace(kube, OPERATOR_NS);
  await tool('helm', ['upgrade', '--install', OPERATOR_RELEASE, `${REPO}charts/chat-operator`, '-n', OPERATOR_NS, '--skip-crds', '--set', 'replicaCount=0', '--set', 'metrics.service.enabled=false', '--wait=false'], 120_000);
}

/** A kubeconfig that acts as the operator chart's ServiceAccount (a real token from the TokenRequest API). */
export async function operatorKubeConfig(kube: Kube, namespace = OPERATOR_NS, serviceAccount = OPERATOR_SA): Promise<KubeConfig> {
  const res = await kube.request<{ status: { token: string } }>('POST', `/api/v1/namespaces/${namespace}/serviceaccounts/${serviceAccount}/token`, {
    apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 3600 },
  });
  const admin = adminKubeConfig();
  const cluster = admin.getCurrentCluster()!;
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: cluster.server, skipTLSVerify: true }],
    users: [{ name: serviceAccount, token: res.status.token }],
    contexts: [{ name: 'sa', cluster: 'c', user: serviceAccount }],
    currentContext: 'sa',
  });
  return kc;
}

export function startOperator(kc: KubeConfig, overrides: Partial<OperatorOptions> = {}): ChatOperator {
  const log = createLogger('chat-operator-test', process.env.OPERATOR_TEST_LOG_LEVEL ?? 'silent');
  const op = new ChatOperator({
    kc,
    log,
    registry: createMetricsRegistry('chat-operator-test'),
    openKafkaAdmin: kafkaAdminFactory(log),
    identity: `test-${process.pid}-${seq++}`,
    resyncMs: 30_000,
    watchdogMs: 60_000,
    notReadyRequeueMs: 2_000,
    topicRecheckMs: 5_000,
    kafkaTimeoutMs: 5_000,
    ...overrides,
  });
  op.start();
  return op;
}

export const crPath = (ns: string, name?: string): string => resourcePath(API_VERSION, PLURAL, ns, name);

export const getCluster = (kube: Kube, ns: string, name: string): Promise<ChatCluster | undefined> => kube.get<ChatCluster>(crPath(ns, name));

export function applyCluster(kube: Kube, ns: string, name: string, spec: Record<string, unknown>, annotations?: Record<string, string>): Promise<ChatCluster> {
  return kube.apply({ apiVersion: API_VERSION, kind: 'ChatCluster', metadata: { name, namespace: ns, ...(annotations ? { annotations } : {}) }, spec } as KubernetesObject, 'sunsu-tests') as Promise<ChatCluster>;
}

export const condition = (cr: ChatCluster | undefined, type: string) => cr?.status?.conditions?.find((c) => c.type === type);

/**
 * The partition count a test ChatCluster should ask for: 2 (the fewest that lets a test ask for fewer), or more
 * if the run's (shared) Kafka already has the platform topics with more partitions — asking for fewer would be
 * refused (Kafka cannot shrink), by design. Kept low because `make up` shares these topics: every partition
 * costs the local dispatcher one transaction per persist fetch.
 */
export async function testPartitions(): Promise<number> {
  const admin = await createKafkaBus({ brokers: KAFKA_BROKERS.split(','), clientId: 'operator-tests' }).admin();
  try {
    const existing = new Set(await admin.listTopics());
    const counts = await Promise.all(allTopics().filter((t) => existing.has(t)).map((t) => admin.partitionCount(t)));
    return Math.max(2, ...counts);
  } finally {
    await admin.close();
  }
}
