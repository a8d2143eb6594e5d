import { jest } from '@jest/globals';
import type { KubernetesObject, V1ConfigMap, V1Deployment, V1Service } from '@kubernetes/client-node';
import { CONFIG_HASH_ANNOTATION, PAUSE_ANNOTATION, type ChatCluster } from '../api/spec.ts';
import {
  KAFKA_BROKERS, adminKubeConfig, applyCluster, condition, createNamespace, deleteNamespace, getCluster,
  installCrdAndRbac, operatorKubeConfig, startOperator, testPartitions, tool, waitFor,
} from '../testing/cluster.ts';
import { rawSpec } from '../testing/fixtures.ts';
import { Kube, KubeError, resourcePath } from './kube.ts';
import type { ChatOperator } from './operator.ts';

// Against the real kube-apiserver + controller-manager + scheduler + KWOK of infra/cluster.sh. The operator runs
// in-process with the token of the chart's ServiceAccount, so every step also proves the chart's RBAC suffices.
jest.setTimeout(90_000); // the project's testTimeout is not applied per project; waits below are bounded themselves
const admin = new Kube(adminKubeConfig());
let operator: ChatOperator;
let ns: string;
let partitions = 6;

const spec = (overrides: Record<string, unknown> = {}) =>
  rawSpec({
    chatServer: { image: 'sunsu/chat-server:1.0.0', replicas: 2 },
    dispatcher: { image: 'sunsu/dispatcher:1.0.0', replicas: 1 },
    syncer: { image: 'sunsu/syncer:1.0.0', replicas: 1 },
    kafka: { bootstrapServers: KAFKA_BROKERS, topics: { partitions } },
    ...overrides,
  });
const dep = (name: string) => admin.get<V1Deployment>(resourcePath('apps/v1', 'deployments', ns, name));
const cluster = (name = 'demo') => getCluster(admin, ns, name);
const readyWith = (pred: (cr: ChatCluster) => boolean, name = 'demo') =>
  waitFor(`ChatCluster ${name} Ready`, async () => {
    const cr = await cluster(name);
    return cr && condition(cr, 'Ready')?.status === 'True' && cr.status?.observedGeneration === cr.metadata.generation && pred(cr) ? cr : undefined;
  }, 120_000);

beforeAll(async () => {
  partitions = await testPartitions();
  await installCrdAndRbac(admin);
  ns = await createNamespace(admin, 'op-reconcile');
  // Watching only this namespace keeps suites that share the API server out of each other's way.
  operator = startOperator(await operatorKubeConfig(admin), { watchNamespace: ns });
});

afterAll(async () => {
  await operator?.stop();
  if (ns) await deleteNamespace(admin, ns);
});

describe('ChatCluster reconcile against a real API server', () => {
  it('creates owned children and reports Ready from the real Deployment status (KWOK pods)', async () => {
    const created = await applyCluster(admin, ns, 'demo', spec());
    const cr = await readyWith((c) => c.status?.components?.chatServer?.readyReplicas === 2);
    expect(cr.status?.phase).toBe('Ready');
    expect(cr.status?.components?.dispatcher).toMatchObject({ replicas: 1, readyReplicas: 1, availableReplicas: 1 });
    for (const t of ['ChatServerAvailable', 'DispatcherAvailable', 'SyncerAvailable', 'TopicsReady', 'Reconciled']) expect(condition(cr, t)?.status).toBe('True');
    expect(condition(cr, 'ReconciliationPaused')?.status).toBe('False');

    const d = (await dep('demo-chat-server'))!;
    expect(d.metadata?.ownerReferences).toEqual([expect.objectContaining({ kind: 'ChatCluster', name: 'demo', uid: created.metadata.uid, controller: true })]);
    expect(d.spec?.replicas).toBe(2);
    expect(d.spec?.template.spec?.containers[0]?.image).toBe('sunsu/chat-server:1.0.0');
    expect(d.spec?.template.metadata?.annotations?.[CONFIG_HASH_ANNOTATION]).toBe(cr.status?.components?.chatServer?.configHash);
    const svc = await admin.get<V1Service>(resourcePath('v1', 'services', ns, 'demo-chat-server'));
    expect(svc?.spec?.ports?.[0]).toMatchObject({ port: 80, targetPort: 'http' });
    const cm = await admin.get<V1ConfigMap>(resourcePath('v1', 'configmaps', ns, 'demo-config'));
    expect(cm?.data).toMatchObject({ CHAT_KAFKA_BROKERS: KAFKA_BROKERS, CHAT_KAFKA_PARTITIONS: String(partitions), CHAT_ENV: 'production' });
    expect(await admin.get(resourcePath('policy/v1', 'poddisruptionbudgets', ns, 'demo-chat-server'))).toBeDefined();
    expect(await admin.get(resourcePath('policy/v1', 'poddisruptionbudgets', ns, 'demo-syncer'))).toBeUndefined();

    // Printer columns as a user sees them.
    const table = await tool('kubectl', ['get', 'chatclusters', '-n', ns]);
    expect(table).toMatch(/NAME\s+READY\s+PHASE\s+CHATSERVERS\s+DISPATCHERS\s+AGE/);
    expect(table).toMatch(/demo\s+True\s+Ready\s+2\s+1\s+/);
  });

  it('follows a scale-up: replicas, readyReplicas and observedGeneration', async () => {
    await applyCluster(admin, ns, 'demo', spec({ chatServer: { image: 'sunsu/chat-server:1.0.0', replicas: 3 } }));
    const cr = await readyWith((c) => c.status?.components?.chatServer?.readyReplicas === 3);
    expect(cr.metadata.generation).toBeGreaterThan(1);
    expect((await dep('demo-chat-server'))?.status?.availableReplicas).toBe(3);
  });

  it('rolls pods on a config change: new config hash on the pod template, ConfigMap updated', async () => {
    const before = (await cluster())!.status!.components!;
    const started = Date.now();
    await applyCluster(admin, ns, 'demo', spec({ chatServer: { image: 'sunsu/chat-server:1.0.0', replicas: 3 }, logLevel: 'debug' }));
    const cr = await readyWith((c) => c.status?.components?.chatServer?.configHash !== before.chatServer?.configHash);
    const d = (await dep('demo-chat-server'))!;
    expect(d.spec?.template.metadata?.annotations?.[CONFIG_HASH_ANNOTATION]).toBe(cr.status?.components?.chatServer?.configHash);
    expect(d.metadata?.generation).toBeGreaterThan(1);
    const cm = await admin.get<V1ConfigMap>(resourcePath('v1', 'configmaps', ns, 'demo-config'));
    expect(cm?.data?.LOG_LEVEL).toBe('debug');
    console.log(`config change rolled out and Ready after ${Date.now() - started} ms (minReadySeconds ${d.spec?.minReadySeconds})`);
  }, 150_000);

  it('repairs drift: a deleted child is recreated, an edited field is restored', async () => {
    const oldSvc = (await admin.get<V1Service>(resourcePath('v1', 'services', ns, 'demo-dispatcher')))!;
    await admin.delete(resourcePath('v1', 'services', ns, 'demo-dispatcher'));
    const newSvc = await waitFor('Service recreated', async () => {
      const s = await admin.get<V1Service>(resourcePath('v1', 'services', ns, 'demo-dispatcher'));
      return s && s.metadata?.uid !== oldSvc.metadata?.uid ? s : undefined;
    });
    expect(newSvc.metadata?.ownerReferences?.[0]?.name).toBe('demo');

    // Someone scales and re-images a Deployment by hand (another field manager): the operator takes it back.
    await admin.mergePatch(resourcePath('apps/v1', 'deployments', ns, 'demo-syncer'), { spec: { replicas: 4 } });
    await tool('kubectl', ['-n', ns, 'set', 'image', 'deployment/demo-syncer', 'syncer=evil/image:latest']);
    await waitFor('Deployment restored', async () => {
      const d = await dep('demo-syncer');
      return d?.spec?.replicas === 1 && d.spec.template.spec?.containers[0]?.image === 'sunsu/syncer:1.0.0';
    });
  });

  it('pauses: spec changes and drift are left alone, the condition says so; resuming applies them', async () => {
    const paused = (await cluster())!;
    await admin.mergePatch(resourcePath('chat.sunsu.dev/v1alpha1', 'chatclusters', ns, 'demo'), { metadata: { annotations: { [PAUSE_ANNOTATION]: 'true' } } });
    await waitFor('ReconciliationPaused', async () => condition(await cluster(), 'ReconciliationPaused')?.status === 'True');
    await applyCluster(admin, ns, 'demo', spec({ chatServer: { image: 'sunsu/chat-server:1.0.0', replicas: 1 }, logLevel: 'debug' }), { [PAUSE_ANNOTATION]: 'true' });
    await admin.delete(resourcePath('v1', 'services', ns, 'demo-syncer'));
    await new Promise((r) => setTimeout(r, 4000));
    const cr = (await cluster())!;
    expect(cr.status?.phase).toBe('Paused');
    expect(condition(cr, 'ReconciliationPaused')?.message).toContain(PAUSE_ANNOTATION);
    expect(cr.status?.observedGeneration).toBe(paused.status?.observedGeneration);
    expect(cr.metadata.generation).toBeGreaterThan(paused.metadata.generation!);
    expect((await dep('demo-chat-server'))?.spec?.replicas).toBe(3);
    expect(await admin.get(resourcePath('v1', 'services', ns, 'demo-syncer'))).toBeUndefined();

    await applyCluster(admin, ns, 'demo', spec({ chatServer: { image: 'sunsu/chat-server:1.0.0', replicas: 1 }, logLevel: 'debug' }), { [PAUSE_ANNOTATION]: 'false' });
    const resumed = await readyWith((c) => c.status?.components?.chatServer?.readyReplicas === 1 && c.status.components.chatServer.replicas === 1);
    expect(condition(resumed, 'ReconciliationPaused')?.status).toBe('False');
    expect(await admin.get(resourcePath('v1', 'services', ns, 'demo-syncer'))).toBeDefined();
    // one chat-server pod left: its PodDisruptionBudget is pruned
    expect(await admin.get(resourcePath('policy/v1', 'poddisruptionbudgets', ns, 'demo-chat-server'))).toBeUndefined();
  });

  it('switches to an HPA with autoscaling and prunes it again when switched off', async () => {
    await applyCluster(admin, ns, 'demo', spec({ chatServer: { image: 'sunsu/chat-server:1.0.0', autoscaling: { enabled: true, minReplicas: 2, maxReplicas: 5 } } }));
    const hpa = await waitFor('HPA', () => admin.get<{ spec: { minReplicas: number; maxReplicas: number } }>(resourcePath('autoscaling/v2', 'horizontalpodautoscalers', ns, 'demo-chat-server')));
    expect(hpa.spec).toMatchObject({ minReplicas: 2, maxReplicas: 5 });
    await applyCluster(admin, ns, 'demo', spec());
    await waitFor('HPA pruned', async () => (await admin.get(resourcePath('autoscaling/v2', 'horizontalpodautoscalers', ns, 'demo-chat-server'))) === undefined);
    await readyWith((c) => c.status?.components?.chatServer?.readyReplicas === 2);
  });

  it('switching autoscaling on hands replicas to the HPA without a dip (server-side apply ownership hand-over)', async () => {
    await applyCluster(admin, ns, 'demo', spec({ chatServer: { image: 'sunsu/chat-server:1.0.0', replicas: 3 } }));
    await readyWith((c) => c.status?.components?.chatServer?.readyReplicas === 3);
    const samples: number[] = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const d = await dep('demo-chat-server');
        if (d?.spec?.replicas !== undefined) samples.push(d.spec.replicas);
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    // minReplicas 1: the HPA could scale down on metrics, but the switch itself must keep the current 3.
    await applyCluster(admin, ns, 'demo', spec({ chatServer: { image: 'sunsu/chat-server:1.0.0', replicas: 3, autoscaling: { enabled: true, minReplicas: 1, maxReplicas: 5 } } }));
    await waitFor('HPA', () => admin.get(resourcePath('autoscaling/v2', 'horizontalpodautoscalers', ns, 'demo-chat-server')));
    await new Promise((r) => setTimeout(r, 5000));
    sampling = false;
    await sampler;
    expect(samples.length).toBeGreaterThan(20);
    expect(Math.min(...samples)).toBe(3);
    const owners = ((await dep('demo-chat-server'))?.metadata?.managedFields ?? [])
      .filter((m) => 'f:replicas' in (((m.fieldsV1 as Record<string, Record<string, unknown>>)?.['f:spec']) ?? {}))
      .map((m) => m.manager);
    expect(owners).toEqual(['chat-operator-replicas-handover']);
    await applyCluster(admin, ns, 'demo', spec());
    await readyWith((c) => c.status?.components?.chatServer?.readyReplicas === 2);
  }, 150_000);

  it('records Events on the ChatCluster', async () => {
    const events = await admin.list<{ reason: string; involvedObject: { name: string } }>(resourcePath('v1', 'events', ns));
    const reasons = events.items.filter((e) => e.involvedObject.name === 'demo').map((e) => e.reason);
    expect(reasons).toEqual(expect.arrayContaining(['Ready', 'ReconciliationPaused']));
  });

  it('creates an Ingress with WebSocket timeouts when enabled', async () => {
    await applyCluster(admin, ns, 'demo', spec({ ingress: { enabled: true, host: 'chat.example.test', className: 'nginx', webSocketTimeoutSeconds: 7200 } }));
    const ing = await waitFor('Ingress', () => admin.get<KubernetesObject & { spec: { rules: { host: string }[] } }>(resourcePath('networking.k8s.io/v1', 'ingresses', ns, 'demo-chat')));
    expect(ing.metadata?.annotations?.['nginx.ingress.kubernetes.io/proxy-read-timeout']).toBe('7200');
    expect(ing.spec.rules[0]?.host).toBe('chat.example.test');
  });
});

describe('failures end up in the status', () => {
  it('a child the API server refuses: Reconciled=False with its reason, phase Failed, an Event; fixed spec recovers', async () => {
    // Passes the CRD schema (int-or-string) and the operator's check, but is no valid quantity for a Deployment.
    const bad = spec({ chatServer: { image: 'sunsu/chat-server:1.0.0', replicas: 2, resources: { requests: { cpu: '1.5.5' } } } });
    await applyCluster(admin, ns, 'demo', bad);
    const cr = await waitFor('Reconciled=False', async () => {
      const c = await cluster();
      return condition(c, 'Reconciled')?.status === 'False' && c?.status?.observedGeneration === c?.metadata.generation ? c : undefined;
    });
    // (the API server answers a server-side apply that fails conversion with a bare 500)
    expect(condition(cr, 'Reconciled')?.reason).toBe('InternalError');
    expect(condition(cr, 'Reconciled')?.message).toContain('deployments/demo-chat-server');
    expect(condition(cr, 'Reconciled')?.message).toContain('quantities must match');
    expect(condition(cr, 'Ready')?.status).toBe('False');
    expect(cr.status?.phase).toBe('Failed');
    const events = await admin.list<{ reason: string; type: string; involvedObject: { name: string } }>(resourcePath('v1', 'events', ns));
    expect(events.items.some((e) => e.involvedObject.name === 'demo' && e.reason === 'ReconcileFailed' && e.type === 'Warning')).toBe(true);

    await applyCluster(admin, ns, 'demo', spec());
    const ok = await readyWith((c) => c.status?.components?.chatServer?.readyReplicas === 2);
    expect(condition(ok, 'Reconciled')?.status).toBe('True');
  });
});

describe('validation by the API server (CRD schema + CEL)', () => {
  const rejected = async (s: Record<string, unknown>, name = 'bad'): Promise<string> => {
    try {
      await applyCluster(admin, ns, name, s);
    } catch (err) {
      expect(err).toBeInstanceOf(KubeError);
      expect((err as KubeError).status).toBe(422);
      return (err as Error).message;
    }
    throw new Error('the API server accepted an invalid ChatCluster');
  };

  it('refuses both or neither JWT mode with the rule message', async () => {
    expect(await rejected(spec({ auth: { jwksUrl: 'https://auth.example/jwks', jwtSecretRef: { name: 'a', key: 'b' } } }))).toContain('exactly one of auth.jwtSecretRef or auth.jwksUrl must be set');
    expect(await rejected(spec({ auth: {} }))).toContain('exactly one of auth.jwtSecretRef or auth.jwksUrl must be set');
  });

  it('refuses fewer partitions and a changed replication factor on update', async () => {
    expect(await rejected(spec({ kafka: { bootstrapServers: KAFKA_BROKERS, topics: { partitions: partitions - 1 } } }), 'demo')).toContain('kafka.topics.partitions can only grow');
    expect(await rejected(spec({ kafka: { bootstrapServers: KAFKA_BROKERS, topics: { partitions, replicationFactor: 2 } } }), 'demo')).toContain('kafka.topics.replicationFactor is immutable');
  });

  it('refuses missing images and bad brokers (schema), and inverted autoscaling bounds (CEL)', async () => {
    const msg = await rejected(spec({ chatServer: { replicas: 1 }, kafka: { bootstrapServers: 'no port' } }));
    expect(msg).toContain('spec.chatServer.image: Required value');
    expect(msg).toContain('spec.kafka.bootstrapServers');
    // CEL rules run only once the schema is satisfied
    expect(await rejected(spec({ chatServer: { image: 'x', autoscaling: { enabled: true, minReplicas: 5, maxReplicas: 2 } } }))).toContain('autoscaling.minReplicas must not exceed maxReplicas');
    expect(await rejected(spec({ ingress: { enabled: true } }))).toContain('ingress.host is required when the ingress is enabled');
  });

  it('applies the schema defaults on the server', async () => {
    const cr = (await cluster())!;
    const s = cr.spec as { syncer: { replicas: number; resources: unknown }; kafka: { topics: { retentionHours: number } } };
    expect(s.syncer.resources).toEqual({ requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '512Mi' } });
    expect(s.kafka.topics.retentionHours).toBe(168);
  });
});

describe('least privilege', () => {
  it('the operator identity cannot read Secrets or touch Pods', async () => {
    const asOperator = new Kube(await operatorKubeConfig(admin));
    await expect(asOperator.list(resourcePath('v1', 'secrets', ns))).rejects.toMatchObject({ status: 403 });
    await expect(asOperator.list(resourcePath('v1', 'pods', ns))).rejects.toMatchObject({ status: 403 });
    await expect(asOperator.list(resourcePath('apps/v1', 'deployments', ns))).resolves.toBeDefined();
  });
});
