import type { ChatCluster } from '../api/spec.ts';
import { API_VERSION, KIND } from '../api/spec.ts';
import type { Kube } from './kube.ts';

export type EventType = 'Normal' | 'Warning';

/** Records core/v1 Events on a ChatCluster (shown by `kubectl describe`). Failures to record are not fatal. */
export class EventRecorder {
  readonly #kube: Kube;
  readonly #component: string;
  readonly #onError: (err: unknown) => void;
  constructor(kube: Kube, component: string, onError: (err: unknown) => void = () => undefined) {
    this.#kube = kube;
    this.#component = component;
    this.#onError = onError;
  }

  async record(cr: ChatCluster, type: EventType, reason: string, message: string): Promise<void> {
    const now = new Date().toISOString();
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
      await this.#kube.request('POST', `/api/v1/namespaces/${ns}/events`, event);
    } catch (err) {
      this.#onError(err);
    }
  }
}
