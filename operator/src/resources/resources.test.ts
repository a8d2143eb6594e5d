import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { V1Deployment, V1Ingress, V1Job, V1Service, V2HorizontalPodAutoscaler } from '@kubernetes/client-node';
import { CONFIG_HASH_ANNOTATION, parseSpec, type ChatClusterSpec } from '../api/spec.ts';
import { chatCluster, rawSpec } from '../testing/fixtures.ts';
import { ROLLOUT, configHash, desiredChildren, migrationJobName } from './index.ts';
import { DEV_SIGNIN_PATH, PUBLIC_PATHS } from './network.ts';

const spec = (overrides: Record<string, unknown> = {}): ChatClusterSpec => {
  const p = parseSpec(rawSpec(overrides));
  if (!p.ok) throw new Error(p.message);
  return p.spec;
};
const byKind = (objs: ReturnType<typeof desiredChildren>, kind: string) => objs.filter((o) => o.kind === kind);
const cr = chatCluster();

describe('desiredChildren', () => {
  it('builds a ServiceAccount, a ConfigMap, and a Service, Deployment and PDB per multi-replica component', () => {
    const objs = desiredChildren(cr, spec());
    expect(objs.map((o) => `${o.kind}/${o.metadata?.name}`)).toEqual([
      'ServiceAccount/demo-chat', 'ConfigMap/demo-config',
      'Service/demo-chat-server', 'Service/demo-dispatcher', 'Service/demo-syncer',
      'Job/demo-migrate-' + migrationJobName(cr, spec()).split('-migrate-')[1],
      'Deployment/demo-chat-server', 'Deployment/demo-dispatcher', 'Deployment/demo-syncer',
      // syncer has one replica by default: no PDB (it would block every drain)
      'PodDisruptionBudget/demo-chat-server', 'PodDisruptionBudget/demo-dispatcher',
    ]);
  });

  it('owns every child through a controller owner reference and labels it for the watch', () => {
    for (const o of desiredChildren(cr, spec())) {
      expect(o.metadata?.namespace).toBe('chat');
      expect(o.metadata?.ownerReferences).toEqual([{ apiVersion: 'chat.sunsu.dev/v1alpha1', kind: 'ChatCluster', name: 'demo', uid: cr.metadata.uid, controller: true, blockOwnerDeletion: true }]);
      expect(o.metadata?.labels).toMatchObject({ 'app.kubernetes.io/managed-by': 'chat-operator', 'chat.sunsu.dev/cluster': 'demo', 'app.kubernetes.io/instance': 'demo' });
    }
  });

  it('wires secrets through secretKeyRef, listens on all interfaces and sets a per-pod server id', () => {
    const dep = byKind(desiredChildren(cr, spec()), 'Deployment')[0] as V1Deployment;
    const c = dep.spec!.template.spec!.containers[0]!;
    const env = Object.fromEntries(c.env!.map((e) => [e.name, e.value ?? e.valueFrom]));
    expect(env.CHAT_REDIS_URL).toEqual({ secretKeyRef: { name: 'conn', key: 'redis-url' } });
    expect(env.CHAT_JWT_SECRET).toEqual({ secretKeyRef: { name: 'conn', key: 'jwt-secret' } });
    expect(env.CHAT_HTTP_HOST).toBe('0.0.0.0');
    expect(env.CHAT_HTTP_PORT).toBe('8080');
    expect(env.CHAT_SERVER_ID).toEqual({ fieldRef: { fieldPath: 'metadata.name' } });
    expect(c.envFrom).toEqual([{ configMapRef: { name: 'demo-config' } }]);
    expect(dep.spec!.replicas).toBe(2);
    expect(c.readinessProbe!.httpGet!.path).toBe('/readyz');
  });

  it('runs non-root with a read-only root filesystem and a writable /tmp', () => {
    for (const dep of byKind(desiredChildren(cr, spec()), 'Deployment') as V1Deployment[]) {
      const pod = dep.spec!.template.spec!;
      expect(pod.securityContext!.runAsNonRoot).toBe(true);
      expect(pod.containers[0]!.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
      expect(pod.containers[0]!.volumeMounts).toContainEqual({ name: 'tmp', mountPath: '/tmp' });
    }
  });

  it('uses the syncer and dispatcher port variables the services read', () => {
    const deps = byKind(desiredChildren(cr, spec()), 'Deployment') as V1Deployment[];
    const envOf = (i: number) => deps[i]!.spec!.template.spec!.containers[0]!.env!.map((e) => e.name);
    expect(envOf(1)).toEqual(expect.arrayContaining(['CHAT_DISPATCHER_HTTP_PORT', 'CHAT_DISPATCHER_HTTP_HOST']));
    expect(envOf(2)).toEqual(expect.arrayContaining(['CHAT_SYNCER_HTTP_PORT', 'CHAT_SYNCER_HTTP_HOST']));
  });

  it('hands replicas to an HPA when autoscaling is on (replicas left out of the apply)', () => {
    const objs = desiredChildren(cr, spec({ chatServer: { image: 'x', autoscaling: { enabled: true, minReplicas: 3, maxReplicas: 9 } } }));
    const dep = objs.find((o) => o.kind === 'Deployment' && o.metadata?.name === 'demo-chat-server') as V1Deployment;
    expect(dep.spec!.replicas).toBeUndefined();
    const hpa = byKind(objs, 'HorizontalPodAutoscaler') as V2HorizontalPodAutoscaler[];
    expect(hpa).toHaveLength(1);
    expect(hpa[0]!.spec).toMatchObject({ minReplicas: 3, maxReplicas: 9, scaleTargetRef: { kind: 'Deployment', name: 'demo-chat-server' } });
  });

  it('builds an Ingress with WebSocket-friendly timeouts and TLS only when enabled', () => {
    expect(byKind(desiredChildren(cr, spec()), 'Ingress')).toHaveLength(0);
    const ing = byKind(desiredChildren(cr, spec({ ingress: { enabled: true, host: 'chat.example.com', tlsSecretName: 'tls', className: 'nginx', webSocketTimeoutSeconds: 7200 } })), 'Ingress')[0] as V1Ingress;
    expect(ing.metadata!.annotations!['nginx.ingress.kubernetes.io/proxy-read-timeout']).toBe('7200');
    expect(ing.metadata!.annotations!['nginx.ingress.kubernetes.io/proxy-buffering']).toBe('off');
    expect(ing.spec!.tls).toEqual([{ hosts: ['chat.example.com'], secretName: 'tls' }]);
    expect(ing.spec!.ingressClassName).toBe('nginx');
    expect(ing.spec!.rules![0]!.http!.paths[0]!.backend.service!.name).toBe('demo-chat-server');
  });

  it('routes the public surface only: not /metrics, /healthz, /readyz; /dev only with the development sign-in', () => {
    const pathsOf = (overrides: Record<string, unknown>) =>
      (byKind(desiredChildren(cr, spec({ ingress: { enabled: true, host: 'chat.example.com' }, ...overrides })), 'Ingress')[0] as V1Ingress).spec!.rules![0]!.http!.paths;
    const routed = (paths: ReturnType<typeof pathsOf>, url: string) =>
      paths.some((p) => (p.pathType === 'Exact' ? url === p.path : url === p.path || url.startsWith(`${p.path}/`)));
    const paths = pathsOf({});
    for (const url of ['/', '/api/chat/rooms', '/stomp', '/ws/info', '/ws/123/abc/websocket', '/socket.io/', '/dist/app.js', '/app.css']) expect(routed(paths, url)).toBe(true);
    for (const url of ['/metrics', '/healthz', '/readyz', '/dev/token', '/wsx']) expect(routed(paths, url)).toBe(false);
    const devPaths = pathsOf({ auth: { jwtSecretRef: { name: 'conn', key: 'jwt-secret' }, devSignIn: true } });
    expect(routed(devPaths, '/dev/token')).toBe(true);
    expect(devPaths).toContainEqual(expect.objectContaining(DEV_SIGNIN_PATH));
  });

  it('routes every file of the web client (web/public)', () => {
    const web = fileURLToPath(new URL('../../../web/public', import.meta.url));
    for (const entry of readdirSync(web, { withFileTypes: true })) {
      const url = `/${entry.name}`;
      const covered = PUBLIC_PATHS.some((p) => (p.pathType === 'Exact' ? url === p.path : url === p.path || url.startsWith(`${p.path}/`)));
      expect({ url, covered }).toEqual({ url, covered: true });
    }
  });

  it('adds cookie affinity with more than one chat-server, and passes annotations through', () => {
    const ingressSpec = { enabled: true, host: 'chat.example.com', annotations: { 'example.com/x': 'y', 'nginx.ingress.kubernetes.io/proxy-body-size': '20m' } };
    const objs = desiredChildren(cr, spec({ ingress: ingressSpec }));
    const svc = byKind(objs, 'Service')[0] as V1Service;
    expect(svc.metadata!.annotations!['traefik.ingress.kubernetes.io/service.sticky.cookie']).toBe('true');
    const ing = byKind(objs, 'Ingress')[0] as V1Ingress;
    expect(ing.metadata!.annotations).toMatchObject({ 'nginx.ingress.kubernetes.io/affinity': 'cookie', 'example.com/x': 'y', 'nginx.ingress.kubernetes.io/proxy-body-size': '20m' });
    const single = desiredChildren(cr, spec({ ingress: ingressSpec, chatServer: { image: 'x', replicas: 1 } }));
    expect((byKind(single, 'Service')[0] as V1Service).metadata!.annotations!['traefik.ingress.kubernetes.io/service.sticky.cookie']).toBeUndefined();
    const off = desiredChildren(cr, spec({ ingress: { ...ingressSpec, sessionAffinity: false } }));
    expect((byKind(off, 'Ingress')[0] as V1Ingress).metadata!.annotations!['nginx.ingress.kubernetes.io/affinity']).toBeUndefined();
  });

  it('drains chat-server gradually: pre-stop sleep, minReadySeconds, probe timeouts above /readyz\'s 2 s', () => {
    const [chat, dispatcher] = byKind(desiredChildren(cr, spec()), 'Deployment') as V1Deployment[];
    const c = chat!.spec!.template.spec!.containers[0]!;
    expect(c.lifecycle!.preStop!.sleep!.seconds).toBe(ROLLOUT.chatServer.preStopSleepSeconds);
    expect(chat!.spec!.minReadySeconds).toBeGreaterThan(0);
    expect(chat!.spec!.strategy!.rollingUpdate).toEqual({ maxSurge: 1, maxUnavailable: 0 });
    expect(c.readinessProbe!.timeoutSeconds).toBeGreaterThan(2);
    expect(chat!.spec!.template.spec!.terminationGracePeriodSeconds).toBeGreaterThan(ROLLOUT.chatServer.preStopSleepSeconds + 10);
    expect(dispatcher!.spec!.template.spec!.containers[0]!.lifecycle).toBeUndefined();
  });

  it('runs the migrations as a Job named after its template (image first), with only the Postgres URL', () => {
    const s1 = spec();
    const job = byKind(desiredChildren(cr, s1), 'Job')[0] as V1Job;
    expect(job.metadata!.name).toBe(migrationJobName(cr, s1));
    const c = job.spec!.template.spec!.containers[0]!;
    expect(c.image).toBe('sunsu/syncer:1.0.0');
    expect(c.command).toEqual(['node', '/app/packages/db/src/migrate-main.ts']);
    expect(c.env!.map((e) => e.name)).toEqual(['CHAT_POSTGRES_URL']);
    expect(job.spec!.template.spec!.restartPolicy).toBe('Never');
    expect(migrationJobName(cr, spec({ syncer: { image: 'sunsu/syncer:1.0.1' } }))).not.toBe(job.metadata!.name);
    // Settings outside the Job's template never replace it (its template is immutable: a change means a new Job).
    expect(migrationJobName(cr, spec({ chatServer: { image: 'sunsu/chat-server:9' }, logLevel: 'debug' }))).toBe(job.metadata!.name);
    expect(migrationJobName(cr, spec({ syncer: { image: 'sunsu/syncer:1.0.0', nodeSelector: { pool: 'b' } } }))).not.toBe(job.metadata!.name);
  });

  it('opts into the development sign-in only when asked, and keeps the dispatcher from creating topics', () => {
    const envOf = (objs: ReturnType<typeof desiredChildren>, name: string) => {
      const dep = byKind(objs, 'Deployment').find((d) => d.metadata!.name === name) as V1Deployment;
      return Object.fromEntries(dep.spec!.template.spec!.containers[0]!.env!.map((e) => [e.name, e.value]));
    };
    expect(envOf(desiredChildren(cr, spec()), 'demo-chat-server').CHAT_DEV_SIGNIN).toBe('false');
    const dev = desiredChildren(cr, spec({ auth: { jwtSecretRef: { name: 'conn', key: 'jwt-secret' }, devSignIn: true } }));
    expect(envOf(dev, 'demo-chat-server').CHAT_DEV_SIGNIN).toBe('true');
    expect(envOf(dev, 'demo-dispatcher').CHAT_KAFKA_CREATE_TOPICS).toBe('false');
    expect(parseSpec(rawSpec({ auth: { jwksUrl: 'https://idp.example/jwks', devSignIn: true } })).ok).toBe(false);
  });

  it('puts JWKS into the ConfigMap instead of a secret reference', () => {
    const objs = desiredChildren(cr, spec({ auth: { jwksUrl: 'https://auth.example.com/jwks.json' } }));
    const cm = byKind(objs, 'ConfigMap')[0] as { data: Record<string, string> };
    expect(cm.data.CHAT_JWT_JWKS_URL).toBe('https://auth.example.com/jwks.json');
    const dep = byKind(objs, 'Deployment')[0] as V1Deployment;
    expect(dep.spec!.template.spec!.containers[0]!.env!.map((e) => e.name)).not.toContain('CHAT_JWT_SECRET');
  });
});

describe('configHash', () => {
  it('is on the pod template and changes with config, not with replicas or map order', () => {
    const base = spec();
    const dep = byKind(desiredChildren(cr, base), 'Deployment')[0] as V1Deployment;
    expect(dep.spec!.template.metadata!.annotations![CONFIG_HASH_ANNOTATION]).toBe(configHash(base, 'chatServer'));
    expect(configHash(spec({ logLevel: 'debug' }), 'chatServer')).not.toBe(configHash(base, 'chatServer'));
    expect(configHash(spec({ chatServer: { image: 'x', replicas: 7 } }), 'chatServer')).toBe(configHash(base, 'chatServer'));
    const a = spec({ chatServer: { image: 'x', env: { A: '1', B: '2' } } });
    const b = spec({ chatServer: { image: 'x', env: { B: '2', A: '1' } } });
    expect(configHash(a, 'chatServer')).toBe(configHash(b, 'chatServer'));
    // a component's own env rolls only that component
    expect(configHash(a, 'dispatcher')).toBe(configHash(base, 'dispatcher'));
    expect(configHash(a, 'chatServer')).not.toBe(configHash(base, 'chatServer'));
  });
});
