import { loadConfig } from '@sunsu/config';
import { allTopics } from '@sunsu/contracts';
import { connectArchive } from '@sunsu/archive';
import { createKafkaBus, type ConsumerStatus } from '@sunsu/kafka';
import { createLogger, createMetricsRegistry, onShutdownSignals, startOpsServer } from '@sunsu/observability';
import { createRedis } from '@sunsu/redis';
import { InboxWriter } from '@sunsu/routing';
import { FanOutBatchStore, ReadStateStore, RoomMembers } from '@sunsu/room-state';
import { createDatabase, lastReadsOfRoom, participantsOfRoom } from '@sunsu/db';
import { DispatcherEnv } from './config.ts';
import { createDispatcherMetrics } from './metrics.ts';
import { PersistStage } from './persist/persist-stage.ts';
import { FanOutStage } from './fanout/fanout-stage.ts';
import { waitForTopics } from './topics.ts';

const config = loadConfig(DispatcherEnv);
const logger = createLogger('dispatcher', config.LOG_LEVEL);
const registry = createMetricsRegistry('dispatcher');
const metrics = createDispatcherMetrics(registry);
const bus = createKafkaBus({ brokers: config.CHAT_KAFKA_BROKERS, clientId: `${config.CHAT_KAFKA_CLIENT_ID}-dispatcher`, logger: logger.child({ component: 'kafka' }) });
const redis = createRedis(config.CHAT_REDIS_URL);
const archive = await connectArchive(config.CHAT_MONGO_URL);
const kafkaAdmin = await bus.admin();

const wanted = allTopics().map((topic) => ({ topic, partitions: config.CHAT_KAFKA_PARTITIONS, replicationFactor: config.CHAT_KAFKA_REPLICATION, config: { 'retention.ms': String(7 * 24 * 3600 * 1000) } }));
if (config.CHAT_KAFKA_CREATE_TOPICS) {
  // Topics are created (or grown) idempotently before consuming, so a fresh cluster works without a separate step.
  const topicResult = await kafkaAdmin.ensureTopics(wanted);
  if (topicResult.created.length || topicResult.grown.length) logger.info(topicResult, 'kafka topics reconciled');
  for (const t of topicResult.cannotShrink) logger.warn(t, 'topic has more partitions than configured; Kafka cannot shrink it');
} else {
  await waitForTopics(kafkaAdmin, wanted.map((t) => t.topic), logger);
}

const stages: { name: string; stop(): Promise<void>; consumerStatus(): ConsumerStatus }[] = [];
const closers: (() => Promise<void>)[] = [];
const sessionTimeoutMs = config.CHAT_KAFKA_SESSION_TIMEOUT_MS;
if (config.CHAT_DISPATCHER_STAGES.includes('persist')) {
  const stage = new PersistStage({ bus, messages: archive.messages, logger: logger.child({ stage: 'persist' }), metrics, sessionTimeoutMs });
  await stage.start();
  stages.push({ name: 'persist', stop: () => stage.stop(), consumerStatus: () => stage.consumerStatus() });
}
if (config.CHAT_DISPATCHER_STAGES.includes('fanout')) {
  // Postgres only hydrates what Redis lost (participants, last-read positions); the hot path never reads it.
  const database = createDatabase(config.CHAT_POSTGRES_URL, { max: 4 });
  closers.push(() => database.close());
  const reads = new ReadStateStore(redis, { lastReads: (room) => lastReadsOfRoom(database.db, room), meta: async () => null });
  const members = new RoomMembers(redis, (room) => participantsOfRoom(database.db, room));
  const roomState = new FanOutBatchStore(redis, { reads, members });
  const stage = new FanOutStage({
    bus,
    roomState,
    inbox: new InboxWriter(redis),
    logger: logger.child({ stage: 'fan-out' }),
    metrics,
    sessionTimeoutMs,
    retry: { maxAttempts: config.CHAT_FANOUT_MAX_ATTEMPTS },
  });
  await stage.start();
  stages.push({ name: 'fan-out', stop: () => stage.stop(), consumerStatus: () => stage.consumerStatus() });
}

let stopping = false;
const http = await startOpsServer({
  host: config.CHAT_DISPATCHER_HTTP_HOST,
  port: config.CHAT_DISPATCHER_HTTP_PORT,
  registry,
  accepting: () => !stopping,
  checks: {
    redis: async () => void (await redis.ping()),
    kafka: async () => void (await kafkaAdmin.listTopics()),
    mongodb: async () => void (await archive.connection.db!.admin().ping()),
    // Ready only while every stage's consumer is in its group: not before the join (a rebalance can take a
    // session timeout), not while kafkajs restarts it after a crash, never again after a crash it gave up on.
    'consumer-groups': async () => {
      for (const stage of stages) {
        const { state, error } = stage.consumerStatus();
        if (state === 'starting') throw new Error(`${stage.name}: waiting for the consumer group join`);
        if (state !== 'running') throw new Error(`${stage.name} consumer ${state}${error ? `: ${error}` : ''}`);
      }
    },
  },
});
logger.info({ stages: config.CHAT_DISPATCHER_STAGES, port: config.CHAT_DISPATCHER_HTTP_PORT }, 'dispatcher running');

/** Leave the consumer groups cleanly (partitions move at once instead of after the session timeout). */
onShutdownSignals(logger, async () => {
  stopping = true;
  // Leaving the groups normally takes milliseconds; a join in progress can hold it, so it is bounded.
  await Promise.race([Promise.allSettled(stages.map((s) => s.stop())), new Promise((r) => setTimeout(r, 8000))]);
  await Promise.allSettled([kafkaAdmin.close(), archive.close(), ...closers.map((close) => close())]);
  redis.disconnect();
  http.close();
});
