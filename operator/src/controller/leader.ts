import { KubeError, type Kube } from './kube.ts';

export interface LeaderElectorOptions {
  kube: Kube;
  namespace: string;
  name: string;
  identity: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  onStartedLeading: () => void;
  onStoppedLeading: () => void;
  log?: { info: (o: object, msg: string) => void; warn: (o: object, msg: string) => void };
}

interface Lease {
  apiVersion: 'coordination.k8s.io/v1';
  kind: 'Lease';
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec: { holderIdentity?: string | null; leaseDurationSeconds?: number; acquireTime?: string | null; renewTime?: string | null; leaseTransitions?: number };
}

/** MicroTime wants six fractional digits; JavaScript dates carry three. */
const microNow = (): string => new Date().toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');

/**
 * Lease-based leader election (the algorithm of client-go's leaderelection, ~100 lines). Expiry is judged by
 * this process's own clock from the moment it last saw the lease change, never by comparing clocks with the
 * holder. Every write carries the resourceVersion, so of two candidates exactly one wins (409 for the other).
 * On stop the leader clears the holder so a standby takes over at its next retry instead of a lease later.
 */
export class LeaderElector {
  readonly #o: Required<Omit<LeaderElectorOptions, 'log'>> & Pick<LeaderElectorOptions, 'log'>;
  #leading = false;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #observed: { key: string; at: number } | undefined;
  #lastRenew = 0;
  readonly #path: string;

  constructor(o: LeaderElectorOptions) {
    this.#o = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000, ...o };
    this.#path = `/apis/coordination.k8s.io/v1/namespaces/${o.namespace}/leases`;
  }

  get isLeader(): boolean {
    return this.#leading;
  }

  start(): void {
    this.#stopped = false;
    void this.#tick();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    if (!this.#leading) return;
    this.#setLeading(false);
    try {
      const lease = await this.#o.kube.get<Lease>(`${this.#path}/${this.#o.name}`);
      if (lease && lease.spec.holderIdentity === this.#o.identity) {
        lease.spec.holderIdentity = null;
        lease.spec.renewTime = null;
        lease.spec.acquireTime = null;
        await this.#o.kube.request('PUT', `${this.#path}/${this.#o.name}`, lease);
        this.#o.log?.info({ lease: this.#o.name }, 'released leadership');
      }
    } catch (err) {
      this.#o.log?.warn({ err: (err as Error).message }, 'could not release the lease (it will expire)');
    }
  }

  #setLeading(v: boolean): void {
    if (v === this.#leading) return;
    this.#leading = v;
    if (v) this.#o.onStartedLeading();
    else this.#o.onStoppedLeading();
  }

  async #tick(): Promise<void> {
    if (this.#stopped) return;
    try {
      const ok = await this.#tryAcquireOrRenew();
      if (ok) this.#lastRenew = Date.now();
      if (ok) this.#setLeading(true);
      else if (this.#leading && Date.now() - this.#lastRenew > this.#o.renewDeadlineMs) this.#setLeading(false);
    } catch (err) {
      this.#o.log?.warn({ err: (err as Error).message }, 'leader election round failed');
      if (this.#leading && Date.now() - this.#lastRenew > this.#o.renewDeadlineMs) {
        this.#o.log?.warn({}, 'could not renew the lease in time: stepping down');
        this.#setLeading(false);
      }
    }
    if (this.#stopped) return;
    this.#timer = setTimeout(() => void this.#tick(), this.#o.retryPeriodMs);
    this.#timer.unref();
  }

  async #tryAcquireOrRenew(): Promise<boolean> {
    const { kube, name, namespace, identity } = this.#o;
    const now = microNow();
    const seconds = Math.ceil(this.#o.leaseDurationMs / 1000);
    const lease = await kube.get<Lease>(`${this.#path}/${name}`);
    if (!lease) {
      const fresh: Lease = {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name, namespace },
        spec: { holderIdentity: identity, leaseDurationSeconds: seconds, acquireTime: now, renewTime: now, leaseTransitions: 0 },
      };
      return this.#write('POST', this.#path, fresh);
    }
    const holder = lease.spec.holderIdentity ?? '';
    const key = `${holder}|${lease.spec.renewTime ?? ''}`;
    if (this.#observed?.key !== key) this.#observed = { key, at: Date.now() };
    const durationMs = (lease.spec.leaseDurationSeconds ?? seconds) * 1000;
    const expired = holder === '' || Date.now() - this.#observed.at > durationMs;
    if (holder !== identity && !expired) return false;
    const taking = holder !== identity;
    lease.spec = {
      ...lease.spec,
      holderIdentity: identity,
      leaseDurationSeconds: seconds,
      renewTime: now,
      ...(taking ? { acquireTime: now, leaseTransitions: (lease.spec.leaseTransitions ?? 0) + 1 } : {}),
    };
    const won = await this.#write('PUT', `${this.#path}/${name}`, lease);
    if (won && taking) this.#o.log?.info({ lease: name, previous: holder || '(none)' }, 'acquired leadership');
    return won;
  }

  async #write(method: 'POST' | 'PUT', path: string, lease: Lease): Promise<boolean> {
    try {
      await this.#o.kube.request(method, path, lease);
      return true;
    } catch (err) {
      // Someone else wrote first: not leader this round.
      if (err instanceof KubeError && (err.status === 409 || err.status === 422)) return false;
      throw err;
    }
  }
}
