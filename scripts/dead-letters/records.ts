/**
 * Pure rules for dead letters as services/dispatcher/src/dead-letter.ts writes them: the original key, value and
 * headers plus `dlt-reason`, `dlt-stage`, `dlt-source` (`<topic>/<partition>/<offset>`) and `dlt-at`.
 */
import type { IncomingRecord, OutgoingRecord } from '@sunsu/kafka';

export const DLT_SUFFIX = '.DLT';
/** Every header the dead-letter writer (or an earlier replay) adds starts with this. */
export const DLT_HEADER_PREFIX = 'dlt-';
export const REPLAYED_FROM_HEADER = 'dlt-replayed-from';
/** Consumer group whose committed offsets on a `*.DLT` topic mark the dead letters already replayed. */
export const REPLAY_GROUP = 'sunsu-dead-letter-replay';
export const VALUE_PREVIEW_CHARS = 120;

export const isDeadLetterTopic = (topic: string): boolean => topic.endsWith(DLT_SUFFIX) && topic.length > DLT_SUFFIX.length;

export interface SourcePosition {
  topic: string;
  partition: number;
  offset: string;
}

/** Parse `dlt-source` (`<topic>/<partition>/<offset>`); undefined when absent or malformed. Topic names cannot hold `/`. */
export function parseSource(value: string | undefined): SourcePosition | undefined {
  const match = /^([A-Za-z0-9._-]+)\/(\d+)\/(\d+)$/.exec(value ?? '');
  if (!match) return undefined;
  return { topic: match[1]!, partition: Number(match[2]), offset: match[3]! };
}

/** Where a dead letter goes back to: the topic in `dlt-source`, else the dead-letter topic's name minus `.DLT`. */
export function sourceTopicOf(headers: Record<string, string>, deadLetterTopic: string): string {
  const source = parseSource(headers['dlt-source']);
  if (source) return source.topic;
  if (!isDeadLetterTopic(deadLetterTopic)) throw new Error(`${deadLetterTopic} is not a dead-letter topic (expected <name>${DLT_SUFFIX})`);
  return deadLetterTopic.slice(0, -DLT_SUFFIX.length);
}

/** The original headers without any `dlt-*` one, plus `dlt-replayed-from: <dlt topic>/<partition>/<offset>`. */
export function replayHeaders(headers: Record<string, string>, replayedFrom: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!name.toLowerCase().startsWith(DLT_HEADER_PREFIX)) out[name] = value;
  }
  out[REPLAYED_FROM_HEADER] = replayedFrom;
  return out;
}

export const positionOf = (record: Pick<IncomingRecord, 'topic' | 'partition' | 'offset'>): string =>
  `${record.topic}/${record.partition}/${record.offset}`;

/** The record to produce to the source topic for a dead letter: same key and value, cleaned headers. */
export function replayRecord(deadLetter: IncomingRecord): { topic: string; record: OutgoingRecord } {
  return {
    topic: sourceTopicOf(deadLetter.headers, deadLetter.topic),
    record: { key: deadLetter.key, value: deadLetter.value, headers: replayHeaders(deadLetter.headers, positionOf(deadLetter)) },
  };
}

/** What `list` shows of one dead letter. */
export interface DeadLetterView {
  partition: number;
  offset: string;
  key: string | null;
  stage: string | null;
  source: string | null;
  at: string | null;
  reason: string | null;
  /** The first 120 characters of the value (UTF-8). */
  value: string;
  replayed: boolean;
}

/** `replayedBefore`: the replay group's committed offset on the record's partition (-1 when none). */
export function viewOf(record: IncomingRecord, replayedBefore: bigint): DeadLetterView {
  return {
    partition: record.partition,
    offset: record.offset,
    key: record.key,
    stage: record.headers['dlt-stage'] ?? null,
    source: record.headers['dlt-source'] ?? null,
    at: record.headers['dlt-at'] ?? null,
    reason: record.headers['dlt-reason'] ?? null,
    value: [...record.value.toString('utf8')].slice(0, VALUE_PREVIEW_CHARS).join(''),
    replayed: BigInt(record.offset) < replayedBefore,
  };
}
