import { KubeConfig } from '@kubernetes/client-node';
import { createLogger, createMetricsRegistry } from '@sunsu/observability';
import { loadOperatorConfig } from './config.ts';
import { ChatOperator } from './controller/operator.ts';
import { startHttp } from './http.ts';
import { kafkaAdminFactory } from './kafka.ts';

const config = loadOperatorConfig();
const log = createLogger('chat-operator', config.LOG_LEVEL);
const registry = createMetricsRegistry('chat-operator');
const kc = new KubeConfig();
if (config.KUBECONFIG) kc.loadFromFile(config.KUBECONFIG);
else kc.loadFromDefault(); // in a pod: the mounted service-account token

const operator = new ChatOperator({
  kc,
  log,
  registry,
  openKafkaAdmin: kafkaAdminFactory(log),
  identity: config.OPERATOR_IDENTITY,
  leaderElection: {
    enabled: config.OPERATOR_LEADER_ELECT,
    namespace: config.OPERATOR_LEASE_NAMESPACE,
    name: config.OPERATOR_LEASE_NAME,
    leaseDurationMs: config.OPERATOR_LEASE_DURATION_SECONDS * 1000,
    renewDeadlineMs: config.OPERATOR_LEASE_RENEW_DEADLINE_SECONDS * 1000,
    retryPeriodMs: config.OPERATOR_LEASE_RETRY_SECONDS * 1000,
  },
  ...(config.OPERATOR_WATCH_NAMESPACE ? { watchNamespace: config.OPERATOR_WATCH_NAMESPACE } : {}),
  resyncMs: config.OPERATOR_RESYNC_SECONDS * 1000,
  watchdogMs: config.OPERATOR_WATCHDOG_SECONDS * 1000,
  concurrency: config.OPERATOR_CONCURRENCY,
});
const http = await startHttp({ host: config.OPERATOR_HTTP_HOST, port: config.OPERATOR_HTTP_PORT, registry, ready: () => operator.ready, leader: () => operator.isLeader });
operator.start();
log.info({ identity: config.OPERATOR_IDENTITY, port: config.OPERATOR_HTTP_PORT, watchNamespace: config.OPERATOR_WATCH_NAMESPACE ?? '(all)' }, 'chat-operator running');

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, 'shutting down');
  const force = setTimeout(() => { log.error({}, 'shutdown took too long'); process.exit(1); }, 25_000);
  force.unref();
  await operator.stop();
  await new Promise<void>((resolve) => http.close(() => resolve()));
  log.info({}, 'stopped');
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
