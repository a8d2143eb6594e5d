import { z } from 'zod';
import { InfraEnv } from '@sunsu/config';

export const SyncerEnv = InfraEnv.extend({
  /** Health/metrics listener (internal only). */
  CHAT_SYNCER_HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(9092),
  CHAT_SYNCER_HTTP_HOST: z.string().default('127.0.0.1'),
  /** How often the flush runs (BullMQ job scheduler); changes reach Postgres within about this long. */
  CHAT_SYNC_INTERVAL_MS: z.coerce.number().int().min(100).max(600_000).default(3000),
  /** Entries written per statement. */
  CHAT_SYNC_BATCH_SIZE: z.coerce.number().int().min(1).max(10_000).default(500),
  /** Failed writes of one entry before it is quarantined (with its reason) instead of retried. */
  CHAT_SYNC_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(5),
  /** BullMQ queue name; every syncer replica of one platform shares it. */
  CHAT_SYNC_QUEUE: z.string().regex(/^[a-z0-9-]{1,64}$/).default('sunsu-sync'),
});
export type SyncerConfig = z.output<typeof SyncerEnv>;
