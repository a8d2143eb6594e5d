import { Watch, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import type { Kube } from './kube.ts';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface WatcherOptions {
  kube: Kube;
  kc: KubeConfig;
  /** Collection path, e.g. /apis/apps/v1/deployments or /apis/apps/v1/namespaces/x/deployments. */
  path: string;
  labelSelector?: string;
  onEvent: (type: WatchEventType, obj: KubernetesObject) => void;
  /** Called after every (re)list with the whole collection: relists are how missed deletes are noticed. */
  onList?: (items: KubernetesObject[]) => void;
  /** No event (bookmarks included) for this long = the connection is presumed dead and is replaced. */
  watchdogMs?: number;
  /** Server-side watch duration before the server closes it cleanly (then resumed from the last version). */
  serverTimeoutSeconds?: number;
  onRestart?: (reason: string) => void;
  /** Longest wait between relist attempts (exponential from 1 s). */
  maxBackoffMs?: number;
  log?: { warn: (o: object, msg: string) => void; debug: (o: object, msg: string) => void };
}

/**
 * List, then watch from the list's resourceVersion; resume after a clean close, relist after an error or a
 * 410 Gone, with exponential backoff (1 s to 30 s, reset by any event) so a failing API server is not hammered.
 * client-node's watch has an inactivity timeout but the informer can still go quiet for good (known issues
 * kubernetes-client/javascript#596, #958): the watchdog replaces any watch that has been silent too long.
 */
export class Watcher {
  readonly #o: WatcherOptions;
  readonly #watch: Watch;
  #abort: AbortController | undefined;
  #stopped = false;
  #synced = false;
  #resourceVersion = '';
  #backoffMs = 1000;
  #lastActivity = Date.now();
  #watchdog: NodeJS.Timeout | undefined;
  #retryTimer: NodeJS.Timeout | undefined;
  /** A restart is scheduled (backoff running): the watchdog must not restart again and reset the backoff. */
  #waiting = false;
  #generation = 0;

  constructor(o: WatcherOptions) {
    this.#o = o;
    this.#watch = new Watch(o.kc);
  }

  get synced(): boolean {
    return this.#synced;
  }

  start(): void {
    this.#stopped = false;
    const wd = this.#o.watchdogMs ?? 120_000;
    this.#watchdog = setInterval(() => {
      if (!this.#waiting && Date.now() - this.#lastActivity > wd) this.#restart('watchdog: no events', true);
    }, Math.min(wd, 5000));
    this.#watchdog.unref();
    void this.#listAndWatch();
  }

  stop(): void {
    this.#stopped = true;
    clearInterval(this.#watchdog);
    clearTimeout(this.#retryTimer);
    this.#abort?.abort();
  }

  #restart(reason: string, relist: boolean): void {
    if (this.#stopped) return;
    this.#o.onRestart?.(reason);
    this.#generation++;
    this.#abort?.abort();
    this.#abort = undefined;
    this.#lastActivity = Date.now();
    clearTimeout(this.#retryTimer);
    const delay = relist ? this.#backoffMs : 0;
    if (relist) this.#backoffMs = Math.min(this.#o.maxBackoffMs ?? 30_000, this.#backoffMs * 2);
    this.#waiting = true;
    this.#retryTimer = setTimeout(() => {
      this.#waiting = false;
      this.#lastActivity = Date.now(); // the watchdog measures silence from the new attempt on
      void (relist ? this.#listAndWatch() : this.#watchFrom(this.#generation));
    }, delay);
    this.#retryTimer.unref();
  }

  async #listAndWatch(): Promise<void> {
    if (this.#stopped) return;
    const gen = ++this.#generation;
    try {
      const list = await this.#o.kube.list<KubernetesObject>(this.#o.path, this.#o.labelSelector);
      if (gen !== this.#generation || this.#stopped) return;
      this.#resourceVersion = list.metadata.resourceVersion;
      this.#lastActivity = Date.now();
      this.#o.onList?.(list.items);
      this.#synced = true;
      await this.#watchFrom(gen);
    } catch (err) {
      this.#o.log?.warn({ path: this.#o.path, err: (err as Error).message }, 'list failed');
      if (gen === this.#generation) this.#restart(`list failed: ${(err as Error).message}`, true);
    }
  }

  async #watchFrom(gen: number): Promise<void> {
    if (this.#stopped || gen !== this.#generation) return;
    const query = {
      resourceVersion: this.#resourceVersion,
      allowWatchBookmarks: true,
      timeoutSeconds: this.#o.serverTimeoutSeconds ?? 300,
      labelSelector: this.#o.labelSelector,
    };
    let gone = false;
    this.#abort = await this.#watch.watch(
      this.#o.path,
      query,
      (type, obj: KubernetesObject & { code?: number }) => {
        if (gen !== this.#generation) return;
        this.#lastActivity = Date.now();
        if (type === 'ERROR') { gone = obj.code === 410; return; }
        if (obj.metadata?.resourceVersion) this.#resourceVersion = obj.metadata.resourceVersion;
        if (type === 'BOOKMARK') return;
        this.#backoffMs = 1000;
        this.#o.onEvent(type as WatchEventType, obj);
      },
      (err: unknown) => {
        if (gen !== this.#generation || this.#stopped) return;
        const e = err as { name?: string; message?: string } | null;
        // A quiet watch ends with client-node's inactivity timeout: resume from where it was, no relist.
        if (!err || e?.name === 'TimeoutError') { if (!gone) return this.#restart('closed', false); }
        this.#o.log?.debug({ path: this.#o.path, err: e?.message, gone }, 'watch ended');
        this.#restart(gone ? 'resource version too old' : `watch error: ${e?.message}`, true);
      },
    );
  }
}
