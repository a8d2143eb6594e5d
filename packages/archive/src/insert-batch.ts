import type { ArchivedMessage, MessageModel } from './message-model.ts';

export interface InsertBatchResult {
  /** Documents now stored for the batch, in input order: newly inserted, or the earlier copy (stored wins). */
  stored: ArchivedMessage[];
  insertedCount: number;
  /** messageIds that were already stored (a redelivery); their stored documents are in `stored`. */
  alreadyStored: string[];
  /** Inputs rejected because another message already holds their (room, sequence): must never happen. */
  sequenceConflicts: ArchivedMessage[];
}

const DUPLICATE_KEY = 11000;

interface WriteErrorLike {
  index: number;
  code: number;
}

function writeErrorsOf(err: unknown): WriteErrorLike[] | undefined {
  const e = err as { code?: number; writeErrors?: unknown; name?: string };
  const list = e.writeErrors;
  if (Array.isArray(list)) return list.map((w: { index: number; code?: number; err?: { code?: number } }) => ({ index: w.index, code: w.code ?? w.err?.code ?? -1 }));
  return undefined;
}

/**
 * Insert a batch idempotently at insert speed. Upserts are ~25x slower on FerretDB and hang in large
 * bulkWrites, so the batch is inserted with `ordered: false`; duplicate-key rejections are then classified:
 * a document with that `_id` exists → a redelivery (the stored copy wins); otherwise the unique
 * (chatRoomCode, sequenceId) index rejected it → a sequence conflict, reported to the caller.
 */
export async function insertBatch(model: MessageModel, docs: ArchivedMessage[]): Promise<InsertBatchResult> {
  if (docs.length === 0) return { stored: [], insertedCount: 0, alreadyStored: [], sequenceConflicts: [] };
  let rejected: WriteErrorLike[] = [];
  try {
    await model.collection.insertMany(docs as unknown as Record<string, unknown>[], { ordered: false });
  } catch (err) {
    const errors = writeErrorsOf(err);
    if (!errors || errors.some((w) => w.code !== DUPLICATE_KEY)) throw err;
    rejected = errors;
  }
  if (rejected.length === 0) return { stored: docs, insertedCount: docs.length, alreadyStored: [], sequenceConflicts: [] };

  // One equality lookup per rejected id (rare: redeliveries and resends). FerretDB cannot push `$in` down to
  // Postgres and would scan the whole collection; equality on `_id` is served by the index.
  const rejectedIds = [...new Set(rejected.map((w) => docs[w.index]!._id))];
  const byId = new Map<string, ArchivedMessage>();
  for (let i = 0; i < rejectedIds.length; i += 16) {
    const found = await Promise.all(rejectedIds.slice(i, i + 16).map((id) => model.findOne({ _id: id }).lean<ArchivedMessage>()));
    for (const d of found) if (d) byId.set(d._id, d);
  }
  const rejectedIndex = new Set(rejected.map((w) => w.index));
  const stored: ArchivedMessage[] = [];
  const alreadyStored: string[] = [];
  const sequenceConflicts: ArchivedMessage[] = [];
  docs.forEach((doc, i) => {
    if (!rejectedIndex.has(i)) return stored.push(doc);
    const prior = byId.get(doc._id);
    if (prior) {
      alreadyStored.push(doc._id);
      stored.push(prior);
    } else {
      sequenceConflicts.push(doc);
    }
  });
  return { stored, insertedCount: docs.length - rejected.length, alreadyStored, sequenceConflicts };
}
