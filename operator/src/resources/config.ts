import type { V1ConfigMap, V1EnvVar } from '@kubernetes/client-node';
import type { ChatCluster, ChatClusterSpec, ComponentName } from '../api/spec.ts';
import { childMeta, childName, stableHash } from './meta.ts';

/** Each component's HTTP (health, metrics, and for chat-server the public API) port and its env variables. */
export const HTTP: Record<ComponentName, { port: number; portEnv: string; hostEnv: string }> = {
  chatServer: { port: 8080, portEnv: 'CHAT_HTTP_PORT', hostEnv: 'CHAT_HTTP_HOST' },
  dispatcher: { port: 9091, portEnv: 'CHAT_DISPATCHER_HTTP_PORT', hostEnv: 'CHAT_DISPATCHER_HTTP_HOST' },
  syncer: { port: 9092, portEnv: 'CHAT_SYNCER_HTTP_PORT', hostEnv: 'CHAT_SYNCER_HTTP_HOST' },
};

export const configMapName = (cr: ChatCluster): string => childName(cr, 'config');

/** Shared, non-secret settings every component reads (names as in packages/config). */
export function sharedConfig(spec: ChatClusterSpec): Record<string, string> {
  const data: Record<string, string> = {
    CHAT_ENV: 'production',
    LOG_LEVEL: spec.logLevel,
    CHAT_KAFKA_BROKERS: spec.kafka.bootstrapServers,
    CHAT_KAFKA_PARTITIONS: String(spec.kafka.topics.partitions),
    CHAT_KAFKA_REPLICATION: String(spec.kafka.topics.replicationFactor),
  };
  if (spec.auth.jwksUrl) data.CHAT_JWT_JWKS_URL = spec.auth.jwksUrl;
  return data;
}

export function buildConfigMap(cr: ChatCluster, spec: ChatClusterSpec): V1ConfigMap {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: childMeta(cr, configMapName(cr)), data: sharedConfig(spec) };
}

export const fromSecret = (name: string, ref: { name: string; key: string }): V1EnvVar => ({
  name,
  valueFrom: { secretKeyRef: { name: ref.name, key: ref.key } },
});

/** Environment of one component besides the shared ConfigMap: secrets, its HTTP port, identity, its own env. */
export function componentEnv(spec: ChatClusterSpec, component: ComponentName): V1EnvVar[] {
  const http = HTTP[component];
  const env: V1EnvVar[] = [
    fromSecret('CHAT_REDIS_URL', spec.redis.urlSecretRef),
    fromSecret('CHAT_MONGO_URL', spec.mongo.urlSecretRef),
    fromSecret('CHAT_POSTGRES_URL', spec.postgres.urlSecretRef),
    // Inside a pod the services must listen on all interfaces (their local default is 127.0.0.1).
    { name: http.hostEnv, value: '0.0.0.0' },
    { name: http.portEnv, value: String(http.port) },
  ];
  if (spec.auth.jwtSecretRef) env.push(fromSecret('CHAT_JWT_SECRET', spec.auth.jwtSecretRef));
  if (component === 'chatServer') {
    // Routing and presence need a unique id per instance: the pod name is one.
    env.push({ name: 'CHAT_SERVER_ID', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } });
    env.push({ name: 'CHAT_UPLOAD_DIR', value: '/data/uploads' });
    // Off unless the spec opts in: production images never offer the development sign-in by themselves.
    env.push({ name: 'CHAT_DEV_SIGNIN', value: String(spec.auth.devSignIn) });
  }
  if (component === 'dispatcher') {
    // Topics belong to the operator (spec.kafka.manageTopics) or to whoever manages Kafka: never the dispatcher.
    env.push({ name: 'CHAT_KAFKA_CREATE_TOPICS', value: 'false' });
  }
  for (const [name, value] of Object.entries(spec[component].env).sort(([a], [b]) => a.localeCompare(b))) {
    env.push({ name, value });
  }
  return env;
}

/**
 * What a component's pods were started with. It goes into a pod-template annotation, so any change rolls the
 * pods (environment from a ConfigMap is only read at start). Secret *values* are not hashed: the operator has
 * no read access to Secrets by design; rotate them with `kubectl rollout restart`.
 */
export function configHash(spec: ChatClusterSpec, component: ComponentName): string {
  return stableHash({ shared: sharedConfig(spec), env: componentEnv(spec, component) });
}
