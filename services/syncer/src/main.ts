import { loadConfig } from '@sunsu/config';
import { createDatabase, quarantine, writeLastReads, writeRoomMetas } from '@sunsu/db';
import { createLogger, createMetricsRegistry, onShutdownSignals, startOpsServer } from '@sunsu/observability';
import { createRedis } from '@sunsu/redis';
import { SyncerEnv } from './config.ts';
import { createSyncerMetrics } from './metrics.ts';
import { DirtySet } from './flush/dirty-set.ts';
import { flushOnce } from './flush/flush.ts';
import { startFlushSchedule } from './schedule/flush-schedule.ts';

const config = loadConfig(SyncerEnv);
const logger = createLogger('syncer', config.LOG_LEVEL);
const registry = createMetricsRegistry('syncer');
const redis = createRedis(config.CHAT_REDIS_URL);
const database = createDatabase(config.CHAT_POSTGRES_URL, { max: 4 });
const sets = { 'room-meta': new DirtySet(redis, 'room-meta'), 'last-read': new DirtySet(redis, 'last-read') };
const metrics = createSyncerMetrics(registry, async () => {
  const [meta, reads] = await Promise.all([sets['room-meta'].sizes(), sets['last-read'].sizes()]);
  return { 'room-meta': meta.dirty + meta.inFlight, 'last-read': reads.dirty + reads.inFlight };
});
const writer = {
  writeRoomMetas: (rows: Parameters<typeof writeRoomMetas>[1]) => writeRoomMetas(database.db, rows),
  writeLastReads: (rows: Parameters<typeof writeLastReads>[1]) => writeLastReads(database.db, rows),
  quarantine: (entry: Parameters<typeof quarantine>[1]) => quarantine(database.db, entry),
};

async function run() {
  const stop = metrics.flushSeconds.startTimer();
  try {
    const result = await flushOnce({ redis, sets, writer, batchSize: config.CHAT_SYNC_BATCH_SIZE, maxAttempts: config.CHAT_SYNC_MAX_ATTEMPTS, metrics, logger });
    metrics.flushRuns.inc({ outcome: 'ok' });
    if (result.written || result.failed || result.withoutValue) logger.debug(result, 'flushed');
    return result;
  } catch (err) {
    metrics.flushRuns.inc({ outcome: 'failed' });
    throw err;
  } finally {
    stop();
  }
}

const schedule = await startFlushSchedule({
  queueName: config.CHAT_SYNC_QUEUE,
  connection: { url: config.CHAT_REDIS_URL, maxRetriesPerRequest: null },
  intervalMs: config.CHAT_SYNC_INTERVAL_MS,
  run,
  logger,
});

let stopping = false;
const http = await startOpsServer({
  host: config.CHAT_SYNCER_HTTP_HOST,
  port: config.CHAT_SYNCER_HTTP_PORT,
  registry,
  accepting: () => !stopping,
  checks: {
    redis: async () => void (await redis.ping()),
    postgres: async () => void (await database.sql`select 1`),
    // A worker that stopped or keeps failing takes no flush runs: this replica is not doing its job.
    'flush-worker': async () => {
      const problem = schedule.problem();
      if (problem) throw new Error(problem);
    },
  },
});
logger.info({ port: config.CHAT_SYNCER_HTTP_PORT, intervalMs: config.CHAT_SYNC_INTERVAL_MS, queue: config.CHAT_SYNC_QUEUE }, 'syncer running');

onShutdownSignals(logger, async () => {
  stopping = true;
  await schedule.close().catch((err: Error) => logger.warn({ err: err.message }, 'closing the schedule failed'));
  await database.close().catch(() => undefined);
  redis.disconnect();
  http.close();
});
