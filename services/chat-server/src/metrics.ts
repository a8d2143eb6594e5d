import { Counter, Gauge, Histogram, type Registry } from '@sunsu/observability';
import type { ChatMessageRequested } from '@sunsu/contracts';
import type { MessagePublisher } from './domain/ports.ts';

export interface ChatServerMetrics {
  accepted: Counter;
  publishSeconds: Histogram;
  publishFailures: Counter;
  delivered: Counter;
  slowConsumers: Counter;
}

/** The chat-server's own metrics; connection gauges read the transports' live counts at scrape time. */
export function createChatServerMetrics(
  registry: Registry,
  connectionCounts: Record<string, () => number>,
  registrySizes: Record<string, () => number> = {},
): ChatServerMetrics {
  const registers = [registry];
  new Gauge({
    name: 'chat_local_registrations',
    help: 'Live in-process registrations by kind (hub subscriptions and rooms, presence connections): flat under churn',
    labelNames: ['kind'],
    registers,
    collect() {
      for (const [kind, size] of Object.entries(registrySizes)) this.set({ kind }, size());
    },
  });
  new Gauge({
    name: 'chat_connections',
    help: 'Open client connections by transport',
    labelNames: ['transport'],
    registers,
    collect() {
      for (const [transport, count] of Object.entries(connectionCounts)) this.set({ transport }, count());
    },
  });
  return {
    accepted: new Counter({ name: 'chat_messages_accepted_total', help: 'Messages acknowledged by Kafka and answered to the sender', registers }),
    publishSeconds: new Histogram({ name: 'chat_publish_seconds', help: 'Time from publish to Kafka acknowledgement', registers, buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1] }),
    publishFailures: new Counter({ name: 'chat_publish_failures_total', help: 'Messages Kafka did not acknowledge (the sender got UNAVAILABLE)', registers }),
    delivered: new Counter({ name: 'chat_pushes_delivered_total', help: 'Pushes written to local client connections', registers }),
    slowConsumers: new Counter({
      name: 'chat_slow_consumer_disconnects_total',
      help: 'Connections closed because more than the outbound budget was waiting for the client',
      labelNames: ['transport'],
      registers,
    }),
  };
}

/** Counts and times every publish without the domain knowing about metrics. */
export function instrumentPublisher(inner: MessagePublisher, metrics: ChatServerMetrics): MessagePublisher {
  return {
    async publish(event: ChatMessageRequested) {
      const end = metrics.publishSeconds.startTimer();
      try {
        await inner.publish(event);
        metrics.accepted.inc();
      } catch (err) {
        metrics.publishFailures.inc();
        throw err;
      } finally {
        end();
      }
    },
  };
}
