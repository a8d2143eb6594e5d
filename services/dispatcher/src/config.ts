import { z } from 'zod';
import { InfraEnv } from '@sunsu/config';

export const DispatcherEnv = InfraEnv.extend({
  /** Health/metrics listener (internal only). */
  CHAT_DISPATCHER_HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(9091),
  CHAT_DISPATCHER_HTTP_HOST: z.string().default('127.0.0.1'),
  /** Consumer-group session timeout: how long a crashed dispatcher keeps its partitions before they move. */
  CHAT_KAFKA_SESSION_TIMEOUT_MS: z.coerce.number().int().min(6000).max(300_000).default(10_000),
  /**
   * Create (and grow) the Kafka topics at start-up. The operator turns this off: there the topics belong to the
   * operator or to whoever runs Kafka, and the dispatcher waits until they exist instead.
   */
  CHAT_KAFKA_CREATE_TOPICS: z.enum(['true', 'false']).default('true').transform((v) => v === 'true'),
  /**
   * Attempts at fanning out a batch before it is parked in `chat-message-saved.DLT` (so one bad batch or a long
   * Redis outage does not hold the partition up forever); the default waits about 5 s in all.
   */
  CHAT_FANOUT_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(8),
  /** Which stages this process runs (both by default; they scale independently if split). */
  CHAT_DISPATCHER_STAGES: z
    .string()
    .default('persist,fanout')
    .transform((s) => s.split(',').map((x) => x.trim()))
    .pipe(z.array(z.enum(['persist', 'fanout'])).min(1)),
});
export type DispatcherConfig = z.output<typeof DispatcherEnv>;
