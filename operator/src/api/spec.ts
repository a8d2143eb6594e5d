import { z } from 'zod';

/**
 * The ChatCluster spec as the operator reads it. The CRD (crd.ts) validates and defaults on the API server; this
 * schema validates again in the operator, because a CRD can be older than the operator (or installed by hand)
 * and a bad object must end in a clear status condition, not in a crash or a half-built Deployment.
 */
export const GROUP = 'chat.sunsu.dev';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;
export const KIND = 'ChatCluster';
export const PLURAL = 'chatclusters';
export const PAUSE_ANNOTATION = `${GROUP}/paused`;
export const CONFIG_HASH_ANNOTATION = `${GROUP}/config-hash`;

const quantity = z.union([z.string().regex(/^[0-9.]+[a-zA-Z]*$/), z.number()]);
const resourceList = z.record(z.string(), quantity);
const secretKeyRef = z.object({ name: z.string().min(1), key: z.string().min(1) });
const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/);

const Resources = z.object({ requests: resourceList.optional(), limits: resourceList.optional() }).default({
  requests: { cpu: '100m', memory: '128Mi' },
  limits: { memory: '512Mi' },
});

const Autoscaling = z
  .object({
    enabled: z.boolean().default(false),
    minReplicas: z.number().int().min(1).default(2),
    maxReplicas: z.number().int().min(1).default(10),
    targetCPUUtilizationPercentage: z.number().int().min(1).max(100).default(70),
  })
  .refine((a) => a.minReplicas <= a.maxReplicas, { message: 'autoscaling.minReplicas must not exceed maxReplicas' })
  .default({ enabled: false, minReplicas: 2, maxReplicas: 10, targetCPUUtilizationPercentage: 70 });

const Toleration = z.object({
  key: z.string().optional(),
  operator: z.enum(['Exists', 'Equal']).optional(),
  value: z.string().optional(),
  effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']).optional(),
  tolerationSeconds: z.number().int().optional(),
});

const component = (defaultReplicas: number) =>
  z.object({
    image: z.string().min(1),
    imagePullPolicy: z.enum(['Always', 'IfNotPresent', 'Never']).default('IfNotPresent'),
    replicas: z.number().int().min(0).default(defaultReplicas),
    resources: Resources,
    autoscaling: Autoscaling,
    /** Extra environment for this component only (non-secret; goes into the config hash). */
    env: z.record(envName, z.string()).default({}),
    /** Voluntary-disruption budget; created when replicas > 1. */
    maxUnavailable: z.number().int().min(1).default(1),
    nodeSelector: z.record(z.string(), z.string()).default({}),
    tolerations: z.array(Toleration).default([]),
  });

export const COMPONENTS = ['chatServer', 'dispatcher', 'syncer'] as const;
export type ComponentName = (typeof COMPONENTS)[number];

export const ChatClusterSpec = z
  .object({
    chatServer: component(2),
    dispatcher: component(2),
    syncer: component(1),
    kafka: z.object({
      bootstrapServers: z.string().regex(/^[^:\s,]+:\d+(,[^:\s,]+:\d+)*$/, 'bootstrapServers must be host:port[,host:port...]'),
      manageTopics: z.boolean().default(true),
      topics: z
        .object({
          partitions: z.number().int().min(1).max(1000).default(6),
          replicationFactor: z.number().int().min(1).max(7).default(1),
          retentionHours: z.number().int().min(1).default(168),
        })
        .default({ partitions: 6, replicationFactor: 1, retentionHours: 168 }),
    }),
    redis: z.object({ urlSecretRef: secretKeyRef }),
    mongo: z.object({ urlSecretRef: secretKeyRef }),
    postgres: z.object({ urlSecretRef: secretKeyRef }),
    auth: z
      .object({
        jwtSecretRef: secretKeyRef.optional(),
        jwksUrl: z.url().optional(),
        /** The development sign-in (anyone can sign in as anyone): demos and e2e runs only, never by default. */
        devSignIn: z.boolean().default(false),
      })
      .refine((a) => (a.jwtSecretRef === undefined) !== (a.jwksUrl === undefined), {
        message: 'exactly one of auth.jwtSecretRef or auth.jwksUrl must be set',
      })
      .refine((a) => !a.devSignIn || a.jwtSecretRef !== undefined, {
        message: 'auth.devSignIn needs auth.jwtSecretRef (it signs HS256 tokens)',
      }),
    /** Postgres schema migrations: a Job per image version, which must succeed before the cluster is Ready. */
    migrations: z
      .object({
        /** Image holding packages/db (any of the platform's images); default: the syncer's. */
        image: z.string().min(1).optional(),
        backoffLimit: z.number().int().min(0).max(20).default(4),
      })
      .default({ backoffLimit: 4 }),
    ingress: z
      .object({
        enabled: z.boolean().default(false),
        host: z.string().optional(),
        className: z.string().optional(),
        tlsSecretName: z.string().optional(),
        /** WebSocket connections are long-lived: proxies must not cut idle sockets before the STOMP heartbeats. */
        webSocketTimeoutSeconds: z.number().int().min(30).max(86400).default(3600),
        /** Passed through to the Ingress as they are (after the operator's own, so they win). */
        annotations: z.record(z.string(), z.string()).default({}),
        /**
         * Cookie affinity to one chat-server pod when there can be more than one: SockJS and Socket.IO HTTP
         * fallbacks (polling, streaming) spread one session over several requests that must reach the same pod.
         */
        sessionAffinity: z.boolean().default(true),
      })
      .default({ enabled: false, webSocketTimeoutSeconds: 3600, annotations: {}, sessionAffinity: true }),
    /** Shared, non-secret settings for every component. */
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info'),
  })
  .strip();

export type ChatClusterSpec = z.output<typeof ChatClusterSpec>;
export type ComponentSpec = ChatClusterSpec['chatServer'];

/** The image the migration Job runs. */
export const migrationImage = (spec: ChatClusterSpec): string => spec.migrations.image ?? spec.syncer.image;

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  lastTransitionTime: string;
  observedGeneration?: number;
}

export interface ComponentStatus {
  replicas: number;
  readyReplicas: number;
  availableReplicas: number;
  updatedReplicas: number;
  configHash: string;
}

export interface ChatClusterStatus {
  observedGeneration?: number;
  phase?: string;
  conditions?: Condition[];
  components?: Partial<Record<ComponentName, ComponentStatus>>;
  /** The image whose migrations last completed. */
  schema?: { image: string; job: string };
  topics?: { name: string; partitions: number }[];
}

export interface ChatCluster {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace: string;
    uid: string;
    generation?: number;
    resourceVersion?: string;
    annotations?: Record<string, string>;
    labels?: Record<string, string>;
    deletionTimestamp?: string;
  };
  spec: unknown;
  status?: ChatClusterStatus;
}

export type ParsedSpec = { ok: true; spec: ChatClusterSpec } | { ok: false; message: string };

/** Parse an object's spec, collecting every problem into one readable message. */
export function parseSpec(raw: unknown): ParsedSpec {
  const result = ChatClusterSpec.safeParse(raw);
  if (result.success) return { ok: true, spec: result.data };
  const message = result.error.issues.map((i) => `spec.${i.path.join('.')}: ${i.message}`).join('; ');
  return { ok: false, message };
}

export const isPaused = (cr: ChatCluster): boolean => cr.metadata.annotations?.[PAUSE_ANNOTATION] === 'true';
