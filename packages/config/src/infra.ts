import { z } from 'zod';

/**
 * Connection settings shared by every service. Defaults point at the servers `make up` starts on 127.0.0.1;
 * production sets each variable to its managed server (see README "Pointing at real servers").
 */
export const InfraEnv = z.object({
  CHAT_ENV: z.enum(['development', 'test', 'production']).default('development'),
  CHAT_REDIS_URL: z.url().default('redis://127.0.0.1:16379'),
  CHAT_KAFKA_BROKERS: z
    .string()
    .default('127.0.0.1:19092')
    .transform((s) => s.split(',').map((b) => b.trim()).filter(Boolean))
    .pipe(z.array(z.string().regex(/^[^:\s]+:\d+$/, 'broker must be host:port')).min(1)),
  CHAT_KAFKA_CLIENT_ID: z.string().default('sunsu'),
  // Partitions of the platform's topics. Each one costs a Kafka transaction per persist fetch, so one per
  // dispatcher you run is the cheapest (1 locally: 200 msg/s took 88 % instead of 124 % of a core with 6).
  CHAT_KAFKA_PARTITIONS: z.coerce.number().int().min(1).max(1000).default(1),
  CHAT_KAFKA_REPLICATION: z.coerce.number().int().min(1).max(7).default(1),
  CHAT_MONGO_URL: z.string().regex(/^mongodb(\+srv)?:\/\//, 'must be a mongodb:// URL').default('mongodb://127.0.0.1:27027/sunsu'),
  CHAT_POSTGRES_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL').default('postgres://postgres@127.0.0.1:15432/sunsu'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});
export type InfraEnv = z.output<typeof InfraEnv>;
