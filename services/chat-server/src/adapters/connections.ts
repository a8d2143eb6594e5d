import { createRedis, type Redis } from '@sunsu/redis';
import { createKafkaBus, type Admin, type MessageBus } from '@sunsu/kafka';
import { connectArchive, type ArchiveHandle } from '@sunsu/archive';
import { createDatabase, type DatabaseHandle } from '@sunsu/db';
import type { HealthCheck, Logger } from '@sunsu/observability';
import type { ChatServerConfig } from '../config.ts';

/** The process's connections to the four stores, opened once at start and closed on shutdown. */
export interface Connections {
  redis: Redis;
  bus: MessageBus;
  kafkaAdmin: Admin;
  archive: ArchiveHandle;
  database: DatabaseHandle;
  readinessChecks: Record<string, HealthCheck>;
  close(): Promise<void>;
}

export async function openConnections(config: ChatServerConfig, logger: Logger): Promise<Connections> {
  const redis = createRedis(config.CHAT_REDIS_URL);
  const bus = createKafkaBus({ brokers: config.CHAT_KAFKA_BROKERS, clientId: `${config.CHAT_KAFKA_CLIENT_ID}-chat-server`, logger: logger.child({ component: 'kafka' }) });
  const [kafkaAdmin, archive] = await Promise.all([bus.admin(), connectArchive(config.CHAT_MONGO_URL)]);
  const database = createDatabase(config.CHAT_POSTGRES_URL);
  return {
    redis,
    bus,
    kafkaAdmin,
    archive,
    database,
    readinessChecks: {
      redis: async () => {
        await redis.ping();
      },
      kafka: async () => {
        await kafkaAdmin.listTopics();
      },
      mongodb: async () => {
        await archive.connection.db!.admin().ping();
      },
      postgres: async () => {
        await database.sql`select 1`;
      },
    },
    async close() {
      await Promise.allSettled([kafkaAdmin.close(), archive.close(), database.close()]);
      redis.disconnect();
    },
  };
}
