import type { ChatCluster } from '../api/spec.ts';

/** A minimal valid ChatCluster spec as a user would write it (defaults left to the API server / schema). */
export function rawSpec(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    chatServer: { image: 'sunsu/chat-server:1.0.0' },
    dispatcher: { image: 'sunsu/dispatcher:1.0.0' },
    syncer: { image: 'sunsu/syncer:1.0.0' },
    kafka: { bootstrapServers: 'kafka:9092' },
    redis: { urlSecretRef: { name: 'conn', key: 'redis-url' } },
    mongo: { urlSecretRef: { name: 'conn', key: 'mongo-url' } },
    postgres: { urlSecretRef: { name: 'conn', key: 'postgres-url' } },
    auth: { jwtSecretRef: { name: 'conn', key: 'jwt-secret' } },
    ...overrides,
  };
}

export function chatCluster(spec: Record<string, unknown> = rawSpec(), name = 'demo', namespace = 'chat'): ChatCluster {
  return {
    apiVersion: 'chat.sunsu.dev/v1alpha1',
    kind: 'ChatCluster',
    metadata: { name, namespace, uid: '11111111-2222-3333-4444-555555555555', generation: 1 },
    spec,
  };
}
