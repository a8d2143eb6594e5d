import type { Logger } from '@sunsu/observability';

/**
 * Wait until every topic exists (they are created by the operator or by whoever runs Kafka). Consuming before
 * that would subscribe to nothing; creating them here would race the operator's partition and replication
 * settings. Logs what is missing every `logEveryMs`, never gives up (the pod's startup probe bounds it).
 */
export async function waitForTopics(
  admin: { listTopics(): Promise<string[]> },
  topics: readonly string[],
  logger: Pick<Logger, 'info' | 'warn'>,
  options: { pollMs?: number; logEveryMs?: number; sleep?: (ms: number) => Promise<void> } = {},
): Promise<void> {
  const { pollMs = 2000, logEveryMs = 30_000, sleep = (ms) => new Promise((r) => setTimeout(r, ms)) } = options;
  let lastLog = -Infinity;
  let waited = 0;
  for (;;) {
    let missing: string[];
    try {
      const existing = new Set(await admin.listTopics());
      missing = topics.filter((t) => !existing.has(t));
    } catch (err) {
      missing = [...topics];
      if (waited - lastLog >= logEveryMs) logger.warn({ err: (err as Error).message }, 'listing Kafka topics failed');
    }
    if (missing.length === 0) {
      if (waited > 0) logger.info({ waitedMs: waited }, 'kafka topics present');
      return;
    }
    if (waited - lastLog >= logEveryMs) {
      logger.warn({ missing }, 'waiting for Kafka topics (CHAT_KAFKA_CREATE_TOPICS=false: they are managed outside the dispatcher)');
      lastLog = waited;
    }
    await sleep(pollMs);
    waited += pollMs;
  }
}
