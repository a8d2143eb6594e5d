import { Queue, Worker, type ConnectionOptions } from 'bullmq';
import type { Logger } from '@sunsu/observability';

export interface FlushScheduleOptions {
  queueName: string;
  connection: ConnectionOptions;
  intervalMs: number;
  /** One flush run; throwing marks the job failed (the next scheduled run retries). */
  run(): Promise<unknown>;
  logger: Logger;
  /** How long a worker error keeps `problem()` set when no run finishes meanwhile (default: 3 intervals, at least 10 s). */
  errorHoldMs?: number;
  now?: () => number;
}

export interface FlushSchedule {
  /** Ask for a run now (still serialized with every other run). */
  trigger(): Promise<void>;
  /**
   * Why this replica's worker cannot take flush runs now (readiness reports it), or undefined when it can: its
   * loop ended or it was closed (for good), or it reported an error and has neither finished a run since nor
   * gone `errorHoldMs` without another error.
   */
  problem(): string | undefined;
  close(): Promise<void>;
}

const SCHEDULER_ID = 'flush';

/**
 * BullMQ drives the flush: a job scheduler adds a run every `intervalMs`, and the queue's global concurrency of 1
 * means exactly one run is active across all syncer replicas at any time (each replica's worker also processes
 * one job at a time). A replica that dies mid-run loses its job lock; BullMQ moves the stalled job back and another
 * replica runs it, and the flush itself resumes from the in-flight set the dead run left behind.
 */
export async function startFlushSchedule(options: FlushScheduleOptions): Promise<FlushSchedule> {
  const queue = new Queue(options.queueName, { connection: options.connection });
  const jobOptions = { removeOnComplete: 100, removeOnFail: 500 };
  const ensureScheduled = async () => {
    await queue.setGlobalConcurrency(1);
    if (!(await queue.getJobScheduler(SCHEDULER_ID))) {
      await queue.upsertJobScheduler(SCHEDULER_ID, { every: options.intervalMs }, { name: 'flush', opts: jobOptions });
      return true;
    }
    return false;
  };
  await ensureScheduled();
  // The schedule itself lives in Redis: if Redis lost its data (restart without persistence, FLUSHALL), the
  // flushes would silently stop. Re-create it whenever it is gone.
  const watchdog = setInterval(() => {
    ensureScheduled()
      .then((recreated) => recreated && options.logger.warn('flush schedule was missing in Redis (data loss?): re-created'))
      .catch((err: Error) => options.logger.warn({ err: err.message }, 'checking the flush schedule failed'));
  }, Math.max(options.intervalMs, 2000));
  watchdog.unref();
  const worker = new Worker(options.queueName, () => options.run(), { connection: options.connection, concurrency: 1 });
  const now = options.now ?? Date.now;
  const errorHoldMs = options.errorHoldMs ?? Math.max(3 * options.intervalMs, 10_000);
  let lastError: { at: number; message: string } | undefined;
  let closed = false;
  // A finished run, failed or not, shows the worker's loop and its Redis connections work again.
  const worked = () => (lastError = undefined);
  worker.on('completed', worked);
  worker.on('failed', (job, err) => {
    worked();
    options.logger.warn({ job: job?.id, err: err.message }, 'flush run failed; the next run retries');
  });
  worker.on('error', (err) => {
    lastError = { at: now(), message: err.message };
    options.logger.warn({ err: err.message }, 'flush worker error');
  });
  worker.on('closed', () => (closed = true));
  return {
    async trigger() {
      await queue.add('flush', {}, jobOptions);
    },
    problem() {
      if (closed) return 'flush worker closed';
      if (!worker.isRunning()) return 'flush worker stopped';
      if (lastError && now() - lastError.at < errorHoldMs) return `flush worker error: ${lastError.message}`;
      return undefined;
    },
    async close() {
      clearInterval(watchdog);
      // Waits for a running flush to finish, so a deploy never cuts a batch in half (it would resume anyway).
      await worker.close();
      await queue.close();
    },
  };
}
