import { redisKeys } from '@sunsu/contracts';
import type { LastReadRow, RoomMetaRow } from '@sunsu/db';
import type { Logger } from '@sunsu/observability';
import { execOrThrow, type Redis } from '@sunsu/redis';
import type { SyncerMetrics } from '../metrics.ts';
import type { DirtyKind, DirtySet } from './dirty-set.ts';
import { isUnavailable } from './pg-errors.ts';

/** The system of record's side of the flush (packages/db in production). */
export interface RecordWriter {
  /** Answers the room codes that exist. */
  writeRoomMetas(rows: RoomMetaRow[]): Promise<Set<string>>;
  /** Answers the "code|userId" entries that have a participant row. */
  writeLastReads(rows: LastReadRow[]): Promise<Set<string>>;
  quarantine(entry: { entry: string; kind: string; attempts: number; reason: string }): Promise<void>;
}

export interface FlushDeps {
  redis: Redis;
  sets: Record<DirtyKind, DirtySet>;
  writer: RecordWriter;
  batchSize: number;
  maxAttempts: number;
  metrics: SyncerMetrics;
  logger: Logger;
  now?: () => number;
  /** Test seam: runs after a batch's values were read from Redis and before they are written. */
  afterRead?: (kind: DirtyKind) => Promise<void>;
}

export interface FlushResult {
  written: number;
  failed: number;
  quarantined: number;
  /** Entries whose Redis value was gone: nothing to write. */
  withoutValue: number;
  /** Entries waiting for their retry backoff. */
  deferred: number;
}

/** Postgres is unreachable: every entry taken was given back; the run fails and the next one retries. */
export class StoreUnavailableError extends Error {}

type Read<Row> = Map<string, Row | null | Error>;

interface KindHandler<Row> {
  read(entries: string[]): Promise<Read<Row>>;
  write(rows: Row[]): Promise<Set<string>>;
}

const MAX_ROUNDS = 20;

/** Backoff before the n-th retry of an entry: 1 s, 2 s, 4 s … capped at 5 minutes. */
export const retryDelayMs = (attempt: number) => Math.min(1000 * 2 ** (attempt - 1), 300_000);

/**
 * One flush run: room meta, then last-read positions, each in batches, each batch one monotonic upsert.
 * A failing entry never blocks the others: it is retried with backoff and quarantined after `maxAttempts`.
 * A Postgres outage fails the run without charging any entry an attempt (nothing is given up because the
 * database was down).
 */
export async function flushOnce(deps: FlushDeps): Promise<FlushResult> {
  const result: FlushResult = { written: 0, failed: 0, quarantined: 0, withoutValue: 0, deferred: 0 };
  await flushKind(deps, 'room-meta', metaHandler(deps), result);
  await flushKind(deps, 'last-read', lastReadHandler(deps), result);
  return result;
}

async function flushKind<Row>(deps: FlushDeps, kind: DirtyKind, handler: KindHandler<Row>, result: FlushResult): Promise<void> {
  const set = deps.sets[kind];
  const now = deps.now ?? Date.now;
  const deferred = new Set<string>();
  try {
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const entries = await set.take(deps.batchSize);
      const fresh = entries.filter((e) => !deferred.has(e));
      if (fresh.length === 0) break;
      const attempts = await set.attempts(fresh);
      const ready = fresh.filter((e) => (attempts.get(e)?.notBefore ?? 0) <= now());
      for (const e of fresh) if (!ready.includes(e)) deferred.add(e);

      const values = await handler.read(ready);
      const rows: [string, Row][] = [];
      const failures = new Map<string, string>();
      const nothing: string[] = [];
      for (const [entry, value] of values) {
        if (value === null) nothing.push(entry);
        else if (value instanceof Error) failures.set(entry, value.message);
        else rows.push([entry, value]);
      }
      await set.done(nothing);
      result.withoutValue += nothing.length;
      deps.metrics.lost.inc({ kind }, nothing.length);
      await deps.afterRead?.(kind);

      const written = await writeIsolating(handler, rows, failures);
      const ok = rows.map(([entry]) => entry).filter((entry) => written.has(entry));
      for (const [entry] of rows) if (!written.has(entry) && !failures.has(entry)) failures.set(entry, 'no matching row in Postgres (unknown room or participant)');
      await set.done(ok);
      result.written += ok.length;
      deps.metrics.rowsWritten.inc({ kind }, ok.length);
      await handleFailures(deps, set, failures, attempts, result);
      if (entries.length < deps.batchSize) break;
    }
  } catch (err) {
    if (isUnavailable(err)) {
      // Whatever this run took is still in the in-flight set: give it all back for the next run.
      await set.giveBack(await set.take(0));
      throw new StoreUnavailableError(`postgres unavailable: ${(err as Error).message}`);
    }
    throw err;
  } finally {
    await set.giveBack([...deferred]).catch(() => undefined);
    result.deferred += deferred.size;
  }
}

/** The whole batch in one statement; if the statement is refused, row by row to find the entries at fault. */
async function writeIsolating<Row>(handler: KindHandler<Row>, rows: [string, Row][], failures: Map<string, string>): Promise<Set<string>> {
  if (rows.length === 0) return new Set();
  try {
    return await handler.write(rows.map(([, row]) => row));
  } catch (err) {
    if (isUnavailable(err)) throw err;
  }
  const written = new Set<string>();
  for (const [entry, row] of rows) {
    try {
      for (const w of await handler.write([row])) written.add(w);
    } catch (err) {
      if (isUnavailable(err)) throw err;
      failures.set(entry, (err as Error).message);
    }
  }
  return written;
}

async function handleFailures(deps: FlushDeps, set: DirtySet, failures: Map<string, string>, attempts: Map<string, { attempts: number }>, result: FlushResult) {
  const now = (deps.now ?? Date.now)();
  const retry: string[] = [];
  for (const [entry, reason] of failures) {
    const attempt = (attempts.get(entry)?.attempts ?? 0) + 1;
    deps.metrics.failures.inc({ kind: set.kind });
    result.failed++;
    if (attempt >= deps.maxAttempts) {
      await deps.writer.quarantine({ entry, kind: set.kind, attempts: attempt, reason: reason.slice(0, 2000) });
      await set.done([entry]);
      deps.metrics.quarantined.inc({ kind: set.kind });
      result.quarantined++;
      deps.logger.error({ entry, kind: set.kind, attempts: attempt, reason }, 'sync entry quarantined');
    } else {
      await set.recordFailure(entry, { attempts: attempt, notBefore: now + retryDelayMs(attempt) });
      retry.push(entry);
      deps.logger.warn({ entry, kind: set.kind, attempt, reason }, 'sync entry failed, will retry');
    }
  }
  await set.giveBack(retry);
}

function metaHandler(deps: FlushDeps): KindHandler<RoomMetaRow> {
  return {
    async read(codes) {
      const pipeline = deps.redis.pipeline();
      for (const code of codes) pipeline.hgetall(redisKeys.roomMeta(code));
      const replies = await execOrThrow(pipeline);
      const out: Read<RoomMetaRow> = new Map();
      codes.forEach((code, i) => {
        const hash = (replies[i] ?? {}) as Record<string, string>;
        const seq = Number(hash.lastSequenceId ?? 0);
        // Evicted, or a room without messages: there is nothing newer than what Postgres has.
        if (!(seq > 0)) return out.set(code, null);
        const at = new Date(hash.lastMessageAt ?? '');
        if (Number.isNaN(at.getTime())) return out.set(code, new Error(`room meta has an invalid lastMessageAt: ${hash.lastMessageAt}`));
        out.set(code, { code, lastMessage: hash.lastMessage ?? '', lastMessageType: hash.lastMessageType === 'IMAGE' ? 'IMAGE' : 'TEXT', lastMessageAt: at, lastSequenceId: seq });
      });
      return out;
    },
    write: (rows) => deps.writer.writeRoomMetas(rows),
  };
}

function lastReadHandler(deps: FlushDeps): KindHandler<LastReadRow> {
  return {
    async read(entries) {
      const pipeline = deps.redis.pipeline();
      const parsed = entries.map((entry) => {
        const at = entry.lastIndexOf('|');
        return { entry, code: entry.slice(0, at), userId: entry.slice(at + 1) };
      });
      for (const p of parsed) pipeline.hget(redisKeys.roomLastRead(p.code), p.userId);
      const replies = await execOrThrow(pipeline);
      const out: Read<LastReadRow> = new Map();
      parsed.forEach((p, i) => {
        if (!/^[1-9][0-9]{0,18}$/.test(p.userId) || p.code === '') return out.set(p.entry, new Error('malformed last-read entry'));
        const value = replies[i] as string | null | undefined;
        // Never write 0 for a value Redis lost: Postgres keeps the last one it had (the original regressed it).
        if (value === null || value === undefined) return out.set(p.entry, null);
        out.set(p.entry, { code: p.code, userId: p.userId, lastReadSequenceId: Number(value) });
      });
      return out;
    },
    write: (rows) => deps.writer.writeLastReads(rows),
  };
}
