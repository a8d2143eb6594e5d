import { request as httpsRequest, type RequestOptions } from 'node:https';
import { request as httpRequest } from 'node:http';
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';

/** A failed API call with the HTTP status and the API server's reason (Forbidden, Conflict, Invalid, ...). */
export class KubeError extends Error {
  override name = 'KubeError';
  readonly status: number;
  readonly reason: string;
  constructor(status: number, reason: string, message: string) {
    super(message);
    this.status = status;
    this.reason = reason;
  }
}

/** metav1.StatusReason for answers that carry none (e.g. a server-side apply that fails conversion gives a bare 500). */
const REASONS: Record<number, string> = { 400: 'BadRequest', 401: 'Unauthorized', 403: 'Forbidden', 404: 'NotFound', 409: 'Conflict', 410: 'Expired', 422: 'Invalid', 429: 'TooManyRequests', 500: 'InternalError', 503: 'ServiceUnavailable', 504: 'Timeout' };

/** Where an API kind lives: /api/v1 for the core group, /apis/<group>/<version> otherwise. */
export function resourcePath(apiVersion: string, plural: string, namespace?: string, name?: string): string {
  const base = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  return `${base}${namespace ? `/namespaces/${namespace}` : ''}/${plural}${name ? `/${name}` : ''}`;
}

const PLURALS: Record<string, string> = {
  ServiceAccount: 'serviceaccounts',
  ConfigMap: 'configmaps',
  Service: 'services',
  Deployment: 'deployments',
  Job: 'jobs',
  PodDisruptionBudget: 'poddisruptionbudgets',
  HorizontalPodAutoscaler: 'horizontalpodautoscalers',
  Ingress: 'ingresses',
  ChatCluster: 'chatclusters',
  Lease: 'leases',
  Event: 'events',
  CustomResourceDefinition: 'customresourcedefinitions',
};

export function objectPath(obj: KubernetesObject): string {
  const plural = PLURALS[obj.kind ?? ''];
  if (!plural || !obj.apiVersion || !obj.metadata?.name) throw new Error(`cannot address ${obj.kind}/${obj.metadata?.name}`);
  return resourcePath(obj.apiVersion, plural, obj.metadata.namespace, obj.metadata.name);
}

/**
 * A small JSON client over the kubeconfig of @kubernetes/client-node. The generated typed clients re-serialise
 * bodies through their models (dates, MicroTime, unknown fields); server-side apply and status patches want the
 * exact JSON, so requests go out as written. Every call has a timeout.
 */
export class Kube {
  readonly kc: KubeConfig;
  readonly #timeoutMs: number;
  constructor(kc: KubeConfig, timeoutMs = 15_000) {
    this.kc = kc;
    this.#timeoutMs = timeoutMs;
  }

  async request<T>(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<T> {
    const cluster = this.kc.getCurrentCluster();
    if (!cluster) throw new Error('kubeconfig has no current cluster');
    const url = new URL(cluster.server + path);
    const opts: RequestOptions = { method, headers: { accept: 'application/json' } };
    await this.kc.applyToHTTPSOptions(opts);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    if (payload !== undefined) Object.assign(opts.headers as Record<string, string>, { 'content-type': contentType, 'content-length': Buffer.byteLength(payload) });
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<T>((resolve, reject) => {
      const req = send(url, { ...opts, timeout: this.#timeoutMs }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const status = res.statusCode ?? 0;
          let json: unknown;
          try { json = text ? JSON.parse(text) : undefined; } catch { json = undefined; }
          if (status >= 200 && status < 300) return resolve(json as T);
          const s = (json ?? {}) as { reason?: string; message?: string };
          reject(new KubeError(status, s.reason || (REASONS[status] ?? `Http${status}`), `${method} ${path}: ${s.message ?? text.slice(0, 300)}`));
        });
      });
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timed out after ${this.#timeoutMs} ms`)));
      req.on('error', reject);
      if (payload !== undefined) req.write(payload);
      req.end();
    });
  }

  /** GET, with 404 as undefined. */
  async get<T>(path: string): Promise<T | undefined> {
    try {
      return await this.request<T>('GET', path);
    } catch (err) {
      if (err instanceof KubeError && err.status === 404) return undefined;
      throw err;
    }
  }

  list<T>(path: string, labelSelector?: string): Promise<{ metadata: { resourceVersion: string }; items: T[] }> {
    return this.request('GET', labelSelector ? `${path}?labelSelector=${encodeURIComponent(labelSelector)}` : path);
  }

  /** Server-side apply: the field manager owns exactly the fields it sends; `force` takes them back from others. */
  apply<T extends KubernetesObject>(obj: T, fieldManager: string, force = true): Promise<T> {
    const q = `?fieldManager=${encodeURIComponent(fieldManager)}&force=${force}`;
    return this.request('PATCH', objectPath(obj) + q, obj, 'application/apply-patch+yaml');
  }

  mergePatch<T>(path: string, patch: unknown): Promise<T> {
    return this.request('PATCH', path, patch, 'application/merge-patch+json');
  }

  async delete(path: string, body?: unknown): Promise<void> {
    try {
      await this.request('DELETE', path, body);
    } catch (err) {
      if (!(err instanceof KubeError && err.status === 404)) throw err;
    }
  }
}
