import type { IncomingRecord, OutgoingRecord } from '@sunsu/kafka';

/**
 * A record a stage gave up on, kept whole with why and where it came from, so `scripts/dead-letters.ts` can
 * list it and replay it to its source topic after the cause is fixed. The key is kept (same room → same order).
 */
export function deadLetter(record: IncomingRecord, reason: string, stage: string): OutgoingRecord {
  return {
    key: record.key,
    value: record.value,
    headers: {
      ...record.headers,
      'dlt-reason': reason.slice(0, 1000),
      'dlt-stage': stage,
      'dlt-source': `${record.topic}/${record.partition}/${record.offset}`,
      'dlt-at': new Date().toISOString(),
    },
  };
}
