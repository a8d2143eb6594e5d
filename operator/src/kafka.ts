import { createKafkaBus } from '@sunsu/kafka';
import type { Logger } from '@sunsu/observability';
import type { AdminFactory } from './topics/topics.ts';

/** Opens a short-lived admin connection to a ChatCluster's Kafka (each cluster may name other brokers). */
export function kafkaAdminFactory(log: Logger): AdminFactory {
  return async (brokers) => {
    const bus = createKafkaBus({ brokers, clientId: 'chat-operator', logger: log.child({ component: 'kafka' }), requestTimeoutMs: 10_000 });
    return bus.admin();
  };
}
