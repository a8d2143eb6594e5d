import { GROUP, KIND, PLURAL, VERSION } from './spec.ts';

/**
 * The ChatCluster CustomResourceDefinition, the one source for charts/chat-operator/crds/ (written by
 * `node operator/scripts/gen-crd.ts`; a unit test fails when the chart copy is stale). The API server applies
 * these defaults and CEL rules itself, so invalid objects are refused at `kubectl apply` time with the message.
 */
type Schema = Record<string, unknown>;

const str = (extra: Schema = {}): Schema => ({ type: 'string', ...extra });
const int = (extra: Schema = {}): Schema => ({ type: 'integer', format: 'int32', ...extra });
const obj = (properties: Record<string, Schema>, extra: Schema = {}): Schema => ({ type: 'object', properties, ...extra });
const stringMap = (): Schema => ({ type: 'object', additionalProperties: { type: 'string' } });
const quantityMap = (): Schema => ({
  type: 'object',
  additionalProperties: { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] },
});
const secretKeyRef = (description: string): Schema =>
  obj({ name: str({ minLength: 1 }), key: str({ minLength: 1 }) }, { required: ['name', 'key'], description });

const component = (description: string, defaultReplicas: number): Schema =>
  obj(
    {
      image: str({ minLength: 1, description: 'Container image, e.g. registry.example/sunsu/chat-server:1.2.3' }),
      imagePullPolicy: str({ enum: ['Always', 'IfNotPresent', 'Never'], default: 'IfNotPresent' }),
      replicas: int({ minimum: 0, default: defaultReplicas, description: 'Ignored while autoscaling is enabled.' }),
      resources: obj(
        { requests: quantityMap(), limits: quantityMap() },
        { default: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '512Mi' } } },
      ),
      autoscaling: obj(
        {
          enabled: { type: 'boolean', default: false },
          minReplicas: int({ minimum: 1, default: 2 }),
          maxReplicas: int({ minimum: 1, default: 10 }),
          targetCPUUtilizationPercentage: int({ minimum: 1, maximum: 100, default: 70 }),
        },
        {
          // Defaults must be complete objects: the API server checks them against the CEL rule too.
          default: { enabled: false, minReplicas: 2, maxReplicas: 10, targetCPUUtilizationPercentage: 70 },
          'x-kubernetes-validations': [
            { rule: 'self.minReplicas <= self.maxReplicas', message: 'autoscaling.minReplicas must not exceed maxReplicas' },
          ],
        },
      ),
      env: {
        ...stringMap(),
        description: 'Extra non-secret environment for this component (part of the config hash).',
        'x-kubernetes-validations': [
          { rule: "self.all(k, k.matches('^[A-Za-z_][A-Za-z0-9_]*$'))", message: 'env names must be valid environment variable names' },
        ],
      },
      maxUnavailable: int({ minimum: 1, default: 1, description: 'PodDisruptionBudget; created when replicas > 1.' }),
      nodeSelector: stringMap(),
      tolerations: {
        type: 'array',
        items: obj({
          key: str(),
          operator: str({ enum: ['Exists', 'Equal'] }),
          value: str(),
          effect: str({ enum: ['NoSchedule', 'PreferNoSchedule', 'NoExecute'] }),
          tolerationSeconds: { type: 'integer', format: 'int64' },
        }),
      },
    },
    { required: ['image'], description },
  );

const specSchema: Schema = obj(
  {
    chatServer: component('Gateway: STOMP/SockJS/Socket.IO, REST, auth, presence.', 2),
    dispatcher: component('Pipeline: persist to MongoDB exactly once, fan out to chat-server instances.', 2),
    syncer: component('Write-back of Redis hot state to Postgres.', 1),
    kafka: obj(
      {
        bootstrapServers: str({ pattern: '^[^:\\s,]+:[0-9]+(,[^:\\s,]+:[0-9]+)*$', description: 'host:port[,host:port...]' }),
        manageTopics: { type: 'boolean', default: true, description: 'Create the topics and grow their partitions.' },
        topics: obj(
          {
            partitions: int({
              minimum: 1,
              maximum: 1000,
              default: 6,
              'x-kubernetes-validations': [
                { rule: 'self >= oldSelf', message: 'kafka.topics.partitions can only grow (Kafka cannot remove partitions)' },
              ],
            }),
            replicationFactor: int({
              minimum: 1,
              maximum: 7,
              default: 1,
              'x-kubernetes-validations': [{ rule: 'self == oldSelf', message: 'kafka.topics.replicationFactor is immutable' }],
            }),
            retentionHours: int({ minimum: 1, default: 168 }),
          },
          { default: { partitions: 6, replicationFactor: 1, retentionHours: 168 } },
        ),
      },
      { required: ['bootstrapServers'] },
    ),
    redis: obj({ urlSecretRef: secretKeyRef('Secret key holding CHAT_REDIS_URL') }, { required: ['urlSecretRef'] }),
    mongo: obj({ urlSecretRef: secretKeyRef('Secret key holding CHAT_MONGO_URL') }, { required: ['urlSecretRef'] }),
    postgres: obj({ urlSecretRef: secretKeyRef('Secret key holding CHAT_POSTGRES_URL') }, { required: ['urlSecretRef'] }),
    auth: obj(
      {
        jwtSecretRef: secretKeyRef('Secret key holding the HS256 secret (CHAT_JWT_SECRET)'),
        jwksUrl: str({ pattern: '^https?://', description: 'JWKS URL for RS256/ES256 tokens (CHAT_JWT_JWKS_URL)' }),
        devSignIn: {
          type: 'boolean',
          default: false,
          description: 'Enable the development sign-in POST /dev/token (anyone can sign in as any user): demos and e2e runs only.',
        },
      },
      {
        'x-kubernetes-validations': [
          { rule: 'has(self.jwtSecretRef) != has(self.jwksUrl)', message: 'exactly one of auth.jwtSecretRef or auth.jwksUrl must be set' },
          { rule: '!has(self.devSignIn) || !self.devSignIn || has(self.jwtSecretRef)', message: 'auth.devSignIn needs auth.jwtSecretRef (it signs HS256 tokens)' },
        ],
      },
    ),
    migrations: obj(
      {
        image: str({ minLength: 1, description: 'Image that runs the Postgres migrations (any platform image); default: the syncer image.' }),
        backoffLimit: int({ minimum: 0, maximum: 20, default: 4 }),
      },
      { default: { backoffLimit: 4 }, description: 'Schema migrations: one Job per image version; the cluster is not Ready before it succeeded.' },
    ),
    ingress: obj(
      {
        enabled: { type: 'boolean', default: false },
        host: str(),
        className: str(),
        tlsSecretName: str(),
        webSocketTimeoutSeconds: int({ minimum: 30, maximum: 86400, default: 3600 }),
        annotations: { ...stringMap(), description: 'Extra Ingress annotations (controller-specific), applied after the operator\'s own.' },
        sessionAffinity: {
          type: 'boolean',
          default: true,
          description: 'Cookie affinity to one chat-server pod (needed by SockJS/Socket.IO HTTP fallbacks with more than one replica).',
        },
      },
      {
        default: { enabled: false, webSocketTimeoutSeconds: 3600, annotations: {}, sessionAffinity: true },
        'x-kubernetes-validations': [
          { rule: '!self.enabled || has(self.host)', message: 'ingress.host is required when the ingress is enabled' },
          { rule: '!has(self.tlsSecretName) || has(self.host)', message: 'ingress.tlsSecretName needs ingress.host' },
        ],
      },
    ),
    logLevel: str({ enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace'], default: 'info' }),
  },
  { required: ['chatServer', 'dispatcher', 'syncer', 'kafka', 'redis', 'mongo', 'postgres', 'auth'] },
);

const condition: Schema = obj(
  {
    type: str({ maxLength: 316 }),
    status: str({ enum: ['True', 'False', 'Unknown'] }),
    reason: str({ maxLength: 1024, pattern: '^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$' }),
    message: str({ maxLength: 32768 }),
    lastTransitionTime: str({ format: 'date-time' }),
    observedGeneration: { type: 'integer', format: 'int64' },
  },
  { required: ['type', 'status', 'reason', 'message', 'lastTransitionTime'] },
);

const componentStatus: Schema = obj({
  replicas: int(),
  readyReplicas: int(),
  availableReplicas: int(),
  updatedReplicas: int(),
  configHash: str(),
});

const statusSchema: Schema = obj({
  observedGeneration: { type: 'integer', format: 'int64' },
  phase: str({ description: 'Pending, Progressing, Ready, Degraded, Failed or Paused' }),
  conditions: { type: 'array', items: condition, 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'] },
  components: obj({ chatServer: componentStatus, dispatcher: componentStatus, syncer: componentStatus }),
  topics: { type: 'array', items: obj({ name: str(), partitions: int() }) },
  schema: obj({ image: str(), job: str() }),
});

export function chatClusterCrd(): Record<string, unknown> {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: `${PLURAL}.${GROUP}`,
      labels: { 'app.kubernetes.io/name': 'chat-operator', 'app.kubernetes.io/part-of': 'sunsu-chat' },
    },
    spec: {
      group: GROUP,
      scope: 'Namespaced',
      names: { kind: KIND, listKind: `${KIND}List`, plural: PLURAL, singular: 'chatcluster', shortNames: ['cc', 'chat'], categories: ['sunsu'] },
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: [
            { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
            { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
            { name: 'ChatServers', type: 'integer', jsonPath: '.status.components.chatServer.readyReplicas' },
            { name: 'Dispatchers', type: 'integer', jsonPath: '.status.components.dispatcher.readyReplicas' },
            { name: 'Syncers', type: 'integer', jsonPath: '.status.components.syncer.readyReplicas', priority: 1 },
            { name: 'Reason', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].reason', priority: 1 },
            { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
          ],
          schema: {
            openAPIV3Schema: obj(
              { apiVersion: str(), kind: str(), metadata: { type: 'object' }, spec: specSchema, status: statusSchema },
              { required: ['spec'], description: 'A Sunsu chat platform: chat-server, dispatcher and syncer on Kafka, Redis, MongoDB, Postgres.' },
            ),
          },
        },
      ],
    },
  };
}
