import type { ChatCluster } from '../api/spec.ts';
import { API_VERSION, KIND } from '../api/spec.ts';
import type { Kube } from './kube.ts';

export type EventType = 'Normal' | 'Warning';

/** How long an Event is reused for repeats of it (client-go's correlator uses 10 minutes too). */
const SERIES_MS = 10 * 60_000;
/** Repeats within this long of the last write are only counted; the next write carries the count. */
const PATCH_EVERY_MS = 60_000;
/** Series remembered at most (oldest dropped): one per ChatCluster and distinct message is plenty. */
const MAX_SERIES = 1000;

interface Series {
  name: string;
  firstAt: number;
  writtenAt: number;
  count: number;
}

/**
 * Records core/v1 Events on a ChatCluster (shown by `kubectl describe`). Failures to record are not fatal.
 * Repeats are aggregated as client-go does: the same (object, type, reason, message) within 10 minutes updates one
 * Event's `count` and `lastTimestamp` instead of creating another, and at most once a minute — a reconcile loop
 * that hits the same invalid spec on every pass writes one Event, not one per pass.
 */
export class EventRecorder {
  readonly #kube: Kube;
  readonly #component: string;
  readonly #onError: (err: unknown) => void;
  readonly #now: () => number;
  readonly #series = new Map<string, Series>();
  constructor(kube: Kube, component: string, onError: (err: unknown) => void = () => undefined, now: () => number = Date.now) {
    this.#kube = kube;
    this.#component = component;
    this.#onError = onError;
    this.#now = now;
  }

  async record(cr: ChatCluster, type: EventType, reason: string, message: string): Promise<void> {
    const nowMs = this.#now();
    const key = `${cr.metadata.uid ?? `${cr.metadata.namespace}/${cr.metadata.name}`}|${type}|${reason}|${message}`;
    const series = this.#series.get(key);
    if (series && nowMs - series.firstAt < SERIES_MS) {
      series.count++;
      if (nowMs - series.writtenAt < PATCH_EVERY_MS) return;
      series.writtenAt = nowMs;
      try {
        await this.#kube.request(
          'PATCH',
          `/api/v1/namespaces/${cr.metadata.namespace}/events/${series.name}`,
          { count: series.count, lastTimestamp: new Date(nowMs).toISOString() },
          'application/merge-patch+json',
        );
      } catch (err) {
        this.#onError(err);
      }
      return;
    }
    if (series) this.#series.delete(key);
    const now = new Date(nowMs).toISOString();
    const ns = cr.metadata.namespace;
    const event = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { generateName: `${cr.metadata.name}.`, namespace: ns },
      involvedObject: { apiVersion: API_VERSION, kind: KIND, name: cr.metadata.name, namespace: ns, uid: cr.metadata.uid, resourceVersion: cr.metadata.resourceVersion },
      reason,
      message: message.slice(0, 1024),
      type,
      source: { component: this.#component },
      reportingComponent: this.#component,
      reportingInstance: this.#component,
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    };
    try {
      const created = await this.#kube.request<{ metadata?: { name?: string } }>('POST', `/api/v1/namespaces/${ns}/events`, event);
      const name = created?.metadata?.name;
      if (name) {
        if (this.#series.size >= MAX_SERIES) this.#series.delete(this.#series.keys().next().value!);
        this.#series.set(key, { name, firstAt: nowMs, writtenAt: nowMs, count: 1 });
      }
    } catch (err) {
      this.#onError(err);
    }
  }
}
