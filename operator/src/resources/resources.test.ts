import type { V1Deployment, V1Ingress, V2HorizontalPodAutoscaler } from '@kubernetes/client-node';
import { CONFIG_HASH_ANNOTATION, parseSpec, type ChatClusterSpec } from '../api/spec.ts';
import { chatCluster, rawSpec } from '../testing/fixtures.ts';
import { configHash, desiredChildren } from './index.ts';

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
