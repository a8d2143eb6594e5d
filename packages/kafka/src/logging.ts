import { logLevel as KafkaLogLevel, type LogEntry } from 'kafkajs';

/** The slice of a structured logger (pino-compatible) this adapter writes to. */
export interface BusLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** Retries kafkajs logs at ERROR although it recovers from them; they are debug noise for operators. */
const EXPECTED_RETRY = /CONCURRENT_TRANSACTIONS|coordinator is loading|COORDINATOR_LOAD_IN_PROGRESS|rebalancing|NOT_COORDINATOR/i;

/**
 * Warnings that do not apply to how the platform uses kafkajs: bounded producer retries are safe because every
 * record carries an idempotency key that the consumer de-duplicates (messageId), and the partitioner is chosen
 * explicitly (Java-compatible murmur2, so other clients place a room's key on the same partition).
 */
const IRRELEVANT_WARNING = /Limiting retries for the idempotent producer|switched default partitioner/;

/** kafkajs' log output, routed to the service's logger at the level an operator should see it. */
export function logCreator(logger: BusLogger | undefined) {
  return () => (entry: LogEntry) => {
    if (!logger) return;
    const { message, ...extra } = entry.log;
    const fields = { kafka: { namespace: entry.namespace, ...extra } };
    if (entry.level <= KafkaLogLevel.ERROR && !EXPECTED_RETRY.test(`${message} ${String((extra as { error?: unknown }).error ?? '')}`)) {
      logger.error(fields, message);
    } else if (entry.level === KafkaLogLevel.WARN && !IRRELEVANT_WARNING.test(message)) {
      logger.warn(fields, message);
    } else {
      logger.debug(fields, message);
    }
  };
}
