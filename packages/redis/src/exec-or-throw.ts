import type { ChainableCommander } from 'ioredis';

/** A pipeline or transaction whose commands did not all succeed; `cause` is the first command's error. */
export class PipelineError extends Error {
  /** Index of the first failed command in the pipeline, or -1 when a transaction was aborted as a whole. */
  readonly index: number;
  constructor(message: string, index: number, cause?: Error) {
    super(message, cause ? { cause } : undefined);
    this.name = 'PipelineError';
    this.index = index;
  }
}

/**
 * Runs a pipeline (or MULTI) and answers each command's result, or throws when any command failed. ioredis
 * resolves `exec()` even when single commands fail (OOM, READONLY, WRONGTYPE): the error sits in the result
 * tuple, so ignoring the tuples reports success for writes that never happened.
 */
export async function execOrThrow(pipeline: ChainableCommander): Promise<unknown[]> {
  const replies = await pipeline.exec();
  // A transaction aborted by WATCH answers null: nothing was applied.
  if (replies === null) throw new PipelineError('transaction aborted: nothing was applied', -1);
  const failed = replies.findIndex(([err]) => err);
  if (failed >= 0) {
    const err = replies[failed]![0]!;
    throw new PipelineError(`command ${failed + 1} of ${replies.length} failed: ${err.message}`, failed, err);
  }
  return replies.map(([, value]) => value);
}
