/**
 * kafkajs retries CONCURRENT_TRANSACTIONS after `initialRetryTime` (default 300 ms), which puts ~300 ms into
 * p99 right after every commit; 10 ms keeps transactional latency near the broker's own.
 */
export const RETRY = { initialRetryTime: 10, maxRetryTime: 2000, retries: 20 } as const;
