/**
 * A keyed work queue in the spirit of client-go's: a key is queued at most once (adding it again while queued
 * is a no-op), never processed by two workers at once (added while running = run again once afterwards), failed
 * keys come back with per-key exponential backoff, and `addAfter` schedules a later look (status polling).
 */
export interface WorkResult {
  /** Look at the key again after this long even if nothing changes (e.g. waiting for Kafka). */
  requeueAfterMs?: number;
}

export interface WorkQueueOptions {
  worker: (key: string) => Promise<WorkResult | void>;
  concurrency?: number;
  baseBackoffMs?: number;
  maxBackoffMs?: number;
  onError?: (key: string, err: unknown, retryInMs: number) => void;
  onDepth?: (depth: number) => void;
}

export class WorkQueue {
  readonly #opts: Required<Omit<WorkQueueOptions, 'onError' | 'onDepth'>> & Pick<WorkQueueOptions, 'onError' | 'onDepth'>;
  readonly #queue: string[] = [];
  readonly #queued = new Set<string>();
  readonly #active = new Set<string>();
  readonly #dirty = new Set<string>();
  readonly #timers = new Map<string, { timer: NodeJS.Timeout; dueAt: number }>();
  readonly #failures = new Map<string, number>();
  readonly #idleWaiters: (() => void)[] = [];
  #running = 0;
  #stopped = false;

  constructor(opts: WorkQueueOptions) {
    this.#opts = { concurrency: 2, baseBackoffMs: 500, maxBackoffMs: 60_000, ...opts };
  }

  get depth(): number {
    return this.#queue.length;
  }

  add(key: string): void {
    if (this.#stopped) return;
    if (this.#active.has(key)) { this.#dirty.add(key); return; }
    if (this.#queued.has(key)) return;
    this.#queued.add(key);
    this.#queue.push(key);
    this.#opts.onDepth?.(this.#queue.length);
    this.#pump();
  }

  /**
   * Add later. One timer per key, and the earliest wins: the sooner look covers the later one, and a later request
   * (a 60 s failure backoff) must not swallow a sooner one (a 0.5 s status poll) that was asked for after it.
   */
  addAfter(key: string, ms: number): void {
    if (this.#stopped) return;
    const dueAt = Date.now() + ms;
    const pending = this.#timers.get(key);
    if (pending && pending.dueAt <= dueAt) return;
    if (pending) clearTimeout(pending.timer);
    const timer = setTimeout(() => { this.#timers.delete(key); this.add(key); }, ms);
    timer.unref();
    this.#timers.set(key, { timer, dueAt });
  }

  /** Forget a key's failure history (e.g. its object was deleted). */
  forget(key: string): void {
    this.#failures.delete(key);
  }

  /** Stop taking work; resolves when the running workers finish (bounded by the caller). */
  async shutdown(): Promise<void> {
    this.#stopped = true;
    for (const { timer } of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
    this.#queue.length = 0;
    this.#queued.clear();
    if (this.#running === 0) return;
    await new Promise<void>((resolve) => this.#idleWaiters.push(resolve));
  }

  #pump(): void {
    while (!this.#stopped && this.#running < this.#opts.concurrency && this.#queue.length > 0) {
      const key = this.#queue.shift()!;
      this.#queued.delete(key);
      this.#active.add(key);
      this.#running++;
      this.#opts.onDepth?.(this.#queue.length);
      void this.#run(key);
    }
  }

  async #run(key: string): Promise<void> {
    try {
      const result = await this.#opts.worker(key);
      this.#failures.delete(key);
      if (result?.requeueAfterMs !== undefined) this.addAfter(key, result.requeueAfterMs);
    } catch (err) {
      const n = (this.#failures.get(key) ?? 0) + 1;
      this.#failures.set(key, n);
      const delay = Math.min(this.#opts.maxBackoffMs, this.#opts.baseBackoffMs * 2 ** (n - 1));
      this.#opts.onError?.(key, err, delay);
      this.addAfter(key, delay);
    } finally {
      this.#active.delete(key);
      this.#running--;
      if (this.#dirty.delete(key)) this.add(key);
      if (this.#running === 0 && this.#stopped) this.#idleWaiters.splice(0).forEach((r) => r());
      this.#pump();
    }
  }
}
