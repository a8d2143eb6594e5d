import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { Counter, Gauge, Histogram, type Logger, type Registry } from '@sunsu/observability';
import { API_VERSION, PLURAL } from '../api/spec.ts';
import { CHILD_KINDS, CLUSTER_LABEL, MANAGED_BY } from '../resources/index.ts';
import type { AdminFactory } from '../topics/topics.ts';
import { EventRecorder } from './events.ts';
import { Kube, resourcePath } from './kube.ts';
import { LeaderElector } from './leader.ts';
import { WorkQueue } from './queue.ts';
import { Reconciler } from './reconciler.ts';
import { Watcher } from './watcher.ts';

export interface OperatorOptions {
  kc: KubeConfig;
  log: Logger;
  registry: Registry;
  openKafkaAdmin: AdminFactory;
  /** This replica's name in the Lease (the pod name in a cluster). */
  identity: string;
  leaderElection?: { enabled: boolean; namespace: string; name?: string; leaseDurationMs?: number; renewDeadlineMs?: number; retryPeriodMs?: number };
  /** Watch one namespace only; default: all namespaces. */
  watchNamespace?: string;
  /** Full resync: every known ChatCluster is reconciled again this often, events or not. */
  resyncMs?: number;
  watchdogMs?: number;
  /** Cap of the watches' relist backoff (default 30 s). */
  watchBackoffMaxMs?: number;
  concurrency?: number;
  topicRecheckMs?: number;
  notReadyRequeueMs?: number;
  kafkaTimeoutMs?: number;
  /** How long stepping down waits for in-flight reconciles before letting go anyway. */
  drainTimeoutMs?: number;
}

/**
 * Wires the parts together: leader election gates everything; the leader runs one watcher for ChatClusters and
 * one per child kind (children map back to their ChatCluster through a label), a keyed work queue, and a
 * periodic resync. Standby replicas only keep trying for the lease.
 */
export class ChatOperator {
  readonly #o: OperatorOptions;
  readonly #kube: Kube;
  readonly #reconciler: Reconciler;
  readonly #elector: LeaderElector | undefined;
  readonly #metrics;
  #queue: WorkQueue | undefined;
  #watchers: Watcher[] = [];
  #resync: NodeJS.Timeout | undefined;
  /** Known ChatClusters: key → generation + annotations fingerprint, to skip status-only updates. */
  readonly #known = new Map<string, string>();
  #leading = false;
  #started = false;

  constructor(o: OperatorOptions) {
    this.#o = o;
    this.#kube = new Kube(o.kc);
    const events = new EventRecorder(this.#kube, 'chat-operator', (err) => o.log.debug({ err: (err as Error).message }, 'event not recorded'));
    this.#reconciler = new Reconciler({
      kube: this.#kube,
      events,
      openKafkaAdmin: o.openKafkaAdmin,
      log: o.log,
      ...(o.topicRecheckMs === undefined ? {} : { topicRecheckMs: o.topicRecheckMs }),
      ...(o.notReadyRequeueMs === undefined ? {} : { notReadyRequeueMs: o.notReadyRequeueMs }),
      ...(o.kafkaTimeoutMs === undefined ? {} : { kafkaTimeoutMs: o.kafkaTimeoutMs }),
    });
    const r = o.registry;
    this.#metrics = {
      reconciles: new Counter({ name: 'chat_operator_reconcile_total', help: 'Reconciles by result', labelNames: ['result'], registers: [r] }),
      duration: new Histogram({ name: 'chat_operator_reconcile_duration_seconds', help: 'Reconcile duration', buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30], registers: [r] }),
      depth: new Gauge({ name: 'chat_operator_workqueue_depth', help: 'Keys waiting in the work queue', registers: [r] }),
      restarts: new Counter({ name: 'chat_operator_watch_restarts_total', help: 'Watch restarts by resource and reason', labelNames: ['resource', 'reason'], registers: [r] }),
      leader: new Gauge({ name: 'chat_operator_leader', help: '1 while this replica holds the lease', registers: [r] }),
      clusters: new Gauge({ name: 'chat_operator_chatclusters', help: 'ChatClusters known to the leader', registers: [r] }),
    };
    const le = o.leaderElection;
    if (le?.enabled) {
      this.#elector = new LeaderElector({
        kube: this.#kube,
        namespace: le.namespace,
        name: le.name ?? 'chat-operator',
        identity: o.identity,
        ...(le.leaseDurationMs ? { leaseDurationMs: le.leaseDurationMs } : {}),
        ...(le.renewDeadlineMs ? { renewDeadlineMs: le.renewDeadlineMs } : {}),
        ...(le.retryPeriodMs ? { retryPeriodMs: le.retryPeriodMs } : {}),
        onStartedLeading: () => this.#startLeading(),
        onStoppedLeading: () => void this.#stopLeading(),
        log: o.log,
      });
    }
  }

  get isLeader(): boolean {
    return this.#leading;
  }

  /** Ready: a standby is ready (it can take over); a leader once every watcher listed its resources. */
  get ready(): boolean {
    return this.#started && (!this.#leading || this.#watchers.every((w) => w.synced));
  }

  start(): void {
    this.#started = true;
    if (this.#elector) this.#elector.start();
    else this.#startLeading();
  }

  async stop(): Promise<void> {
    this.#started = false;
    // Finish in-flight work first, then release the lease so a standby takes over at its next retry.
    await this.#stopLeading();
    if (this.#elector) await this.#elector.stop();
  }

  #collection(apiVersion: string, plural: string): string {
    return resourcePath(apiVersion, plural, this.#o.watchNamespace);
  }

  #startLeading(): void {
    if (this.#leading) return;
    this.#leading = true;
    this.#metrics.leader.set(1);
    const log = this.#o.log;
    log.info({ identity: this.#o.identity }, 'leading: starting watches');
    const queue = new WorkQueue({
      concurrency: this.#o.concurrency ?? 2,
      worker: async (key) => {
        const end = this.#metrics.duration.startTimer();
        try {
          const result = await this.#reconciler.reconcile(key);
          this.#metrics.reconciles.inc({ result: 'success' });
          return result;
        } catch (err) {
          this.#metrics.reconciles.inc({ result: 'error' });
          throw err;
        } finally {
          end();
        }
      },
      onError: (key, err, retryInMs) => log.warn({ key, err: (err as Error).message, retryInMs }, 'reconcile failed'),
      onDepth: (d) => this.#metrics.depth.set(d),
    });
    this.#queue = queue;
    const restarts = (resource: string) => (reason: string) => {
      this.#metrics.restarts.inc({ resource, reason: reason.split(':')[0] ?? reason });
      log.debug({ resource, reason }, 'watch restarted');
    };
    const fingerprint = (o: KubernetesObject) => `${o.metadata?.generation}|${JSON.stringify(o.metadata?.annotations ?? {})}`;
    const keyOf = (o: KubernetesObject) => `${o.metadata?.namespace}/${o.metadata?.name}`;
    this.#watchers.push(
      new Watcher({
        kube: this.#kube,
        kc: this.#o.kc,
        path: this.#collection(API_VERSION, PLURAL),
        watchdogMs: this.#o.watchdogMs ?? 120_000,
        ...(this.#o.watchBackoffMaxMs ? { maxBackoffMs: this.#o.watchBackoffMaxMs } : {}),
        log,
        onRestart: restarts(PLURAL),
        onList: (items) => {
          this.#known.clear();
          for (const o of items) { this.#known.set(keyOf(o), fingerprint(o)); queue.add(keyOf(o)); }
          this.#metrics.clusters.set(this.#known.size);
        },
        onEvent: (type, o) => {
          const key = keyOf(o);
          if (type === 'DELETED') {
            this.#known.delete(key);
            queue.forget(key);
            if (o.metadata?.uid) this.#reconciler.forget(o.metadata.uid);
            this.#metrics.clusters.set(this.#known.size);
            return;
          }
          // The operator's own status writes come back as MODIFIED with the same generation: not a reason to run.
          const fp = fingerprint(o);
          if (type === 'MODIFIED' && this.#known.get(key) === fp) return;
          this.#known.set(key, fp);
          this.#metrics.clusters.set(this.#known.size);
          queue.add(key);
        },
      }),
    );
    for (const k of CHILD_KINDS) {
      this.#watchers.push(
        new Watcher({
          kube: this.#kube,
          kc: this.#o.kc,
          path: this.#collection(k.apiVersion, k.plural),
          labelSelector: `app.kubernetes.io/managed-by=${MANAGED_BY},${CLUSTER_LABEL}`,
          watchdogMs: this.#o.watchdogMs ?? 120_000,
          ...(this.#o.watchBackoffMaxMs ? { maxBackoffMs: this.#o.watchBackoffMaxMs } : {}),
          log,
          onRestart: restarts(k.plural),
          // After a (re)list, whatever happened to children while the watch was down (a delete leaves no trace in
          // the list) is caught by looking at every ChatCluster again; the queue deduplicates.
          onList: () => { for (const key of this.#known.keys()) queue.add(key); },
          // Any change to a child (status, an edit, a delete) is looked at from its ChatCluster's point of view.
          onEvent: (_type, o) => {
            const owner = o.metadata?.labels?.[CLUSTER_LABEL];
            if (owner) queue.add(`${o.metadata?.namespace}/${owner}`);
          },
        }),
      );
    }
    for (const w of this.#watchers) w.start();
    this.#resync = setInterval(() => { for (const key of this.#known.keys()) queue.add(key); }, this.#o.resyncMs ?? 120_000);
    this.#resync.unref();
  }

  async #stopLeading(): Promise<void> {
    if (!this.#leading) return;
    this.#leading = false;
    this.#metrics.leader.set(0);
    this.#o.log.info({ identity: this.#o.identity }, 'not leading: stopping watches');
    clearInterval(this.#resync);
    for (const w of this.#watchers) w.stop();
    this.#watchers = [];
    const q = this.#queue;
    this.#queue = undefined;
    this.#known.clear();
    // Let an in-flight reconcile finish (bounded), so no half-written status is left behind. Every step of a
    // reconcile is idempotent, so a new leader redoing one cut short is harmless.
    if (q) await Promise.race([q.shutdown(), new Promise((r) => setTimeout(r, this.#o.drainTimeoutMs ?? 5_000).unref())]);
  }
}
