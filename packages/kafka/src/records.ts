import type { IHeaders, KafkaMessage } from 'kafkajs';
import type { IncomingRecord, OutgoingRecord } from './port.ts';

/** Conversions between the port's records and kafkajs' messages. */

function toHeaders(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers ?? {})) {
    if (v === undefined) continue;
    out[k] = Array.isArray(v) ? String(v[0]) : Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
  }
  return out;
}

export const toIncoming = (topic: string, partition: number, m: KafkaMessage): IncomingRecord => ({
  topic,
  partition,
  offset: m.offset,
  key: m.key ? m.key.toString('utf8') : null,
  value: m.value ?? Buffer.alloc(0),
  headers: toHeaders(m.headers),
  timestamp: m.timestamp,
});

export const toMessages = (records: OutgoingRecord[]) =>
  records.map((r) => ({ key: r.key, value: r.value, headers: r.headers, partition: r.partition }));
