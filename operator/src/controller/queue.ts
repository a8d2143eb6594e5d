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
  readonly #timers = new Map<string, NodeJS.Timeout>();
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

  /** Add later; an earlier pending timer for the key wins (the sooner look covers the later one). */
  addAfter(key: string, ms: number): void {
    if (this.#stopped) return;
    if (this.#timers.has(key)) return;
    const t = setTimeout(() => { this.#timers.delete(key); this.add(key); }, ms);
    t.unref();
    this.#timers.set(key, t);
  }

  /** Forget a key's failure history (e.g. its object was deleted). */
  forget(key: string): void {
    this.#failures.delete(key);
  }

  /** Stop taking work; resolves when the running workers finish (bounded by the caller). */
  async shutdown(): Promise<void> {
    this.#stopped = true;
    for (const t of this.#timers.values()) clearTimeout(t);
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
