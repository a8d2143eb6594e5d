import type { KubernetesObject, V1Deployment, V1Job, V1ManagedFieldsEntry } from '@kubernetes/client-node';
import {
  API_VERSION, COMPONENTS, PAUSE_ANNOTATION, PLURAL, isPaused, migrationImage, parseSpec,
  type ChatCluster, type ChatClusterSpec, type ChatClusterStatus, type ComponentName, type ComponentStatus,
} from '../api/spec.ts';
import { CHILD_KINDS, CLUSTER_LABEL, MANAGED_BY, configHash, deploymentName, desiredChildren, migrationJobName, stableHash } from '../resources/index.ts';
import {
  CONDITION, componentCondition, componentStatus, derivePhase, findCondition, mergeConditions, readyCondition, schemaCondition, type ConditionInput,
} from '../status/conditions.ts';
import { reconcileTopics, type AdminFactory, type TopicOutcome } from '../topics/topics.ts';
import type { EventRecorder } from './events.ts';
import { KubeError, resourcePath, type Kube } from './kube.ts';
import type { WorkResult } from './queue.ts';

export const FIELD_MANAGER = 'chat-operator';
/**
 * Holds a Deployment's replica count for a moment when autoscaling is switched on: the operator stops applying
 * `replicas` (the HPA owns it from then on), and a field nobody owns any more would be reset to its default of 1.
 */
export const REPLICAS_HANDOVER_MANAGER = 'chat-operator-replicas-handover';

/** Does `manager` own `spec.replicas` (as an apply) according to the object's managedFields? */
export function ownsReplicas(managedFields: V1ManagedFieldsEntry[] | undefined, manager: string): boolean {
  return (managedFields ?? []).some((m) => {
    const spec = (m.fieldsV1 as Record<string, Record<string, unknown>> | undefined)?.['f:spec'];
    return m.manager === manager && m.operation === 'Apply' && spec !== undefined && 'f:replicas' in spec;
  });
}

export interface ReconcilerDeps {
  kube: Kube;
  events: EventRecorder;
  openKafkaAdmin: AdminFactory;
  log: { info: (o: object, msg: string) => void; warn: (o: object, msg: string) => void; debug: (o: object, msg: string) => void };
  /** How often topics are checked again when nothing changed (they can be altered outside the operator). */
  topicRecheckMs?: number;
  /** While not Ready, look again this often even without events. */
  notReadyRequeueMs?: number;
  /** Bound on each Kafka step (connect, ensure topics), so an unreachable Kafka cannot hold a worker long. */
  kafkaTimeoutMs?: number;
  now?: () => Date;
}

/** Why the apply failed, in the form a condition reason accepts (letters first, no spaces). */
function reasonOf(err: unknown): string {
  if (err instanceof KubeError) return err.reason.replace(/[^A-Za-z0-9_]/g, '') || 'ApiError';
  return 'ApplyFailed';
}

/**
 * One reconcile of one ChatCluster, level-triggered: read the object, apply every desired child with server-side
 * apply (which also repairs drift: a deleted child is recreated, an edited field is taken back), prune children the
 * spec no longer wants, reconcile the Kafka topics, and always finish by writing the status — also when a step
 * failed (the failure is the status), so `kubectl get chatclusters` never shows a stale "Ready".
 */
export class Reconciler {
  readonly #d: Required<Omit<ReconcilerDeps, 'now'>> & { now: () => Date };
  /** Last successful topic reconcile per object: uid → generation and time. */
  readonly #topicsDone = new Map<string, { generation: number; at: number; outcome: TopicOutcome }>();

  constructor(deps: ReconcilerDeps) {
    this.#d = { topicRecheckMs: 120_000, notReadyRequeueMs: 15_000, kafkaTimeoutMs: 10_000, now: () => new Date(), ...deps };
  }

  async reconcile(key: string): Promise<WorkResult> {
    const [namespace, name] = key.split('/') as [string, string];
    const { kube, log } = this.#d;
    const cr = await kube.get<ChatCluster>(resourcePath(API_VERSION, PLURAL, namespace, name));
    if (!cr || cr.metadata.deletionTimestamp) return {}; // children are owned: the garbage collector removes them
    const previous = cr.status ?? {};
    const now = this.#d.now().toISOString();
    const generation = cr.metadata.generation;
    const updates: ConditionInput[] = [];

    if (isPaused(cr)) {
      // Nothing is touched; observedGeneration stays where it was so it is visible that a change waits.
      updates.push({ type: CONDITION.paused, status: 'True', reason: 'PausedByAnnotation', message: `${PAUSE_ANNOTATION}=true: changes to the spec and children are not reconciled` });
      const conditions = mergeConditions(previous.conditions, updates, undefined, now);
      const status: ChatClusterStatus = { ...previous, conditions, phase: derivePhase(conditions, false) };
      if (findCondition(previous.conditions, CONDITION.paused)?.status !== 'True') await this.#d.events.record(cr, 'Normal', 'ReconciliationPaused', 'reconciliation paused by annotation');
      await this.#writeStatus(cr, previous, status);
      return {};
    }
    updates.push({ type: CONDITION.paused, status: 'False', reason: 'NotPaused', message: 'reconciling' });

    const parsed = parseSpec(cr.spec);
    let spec: ChatClusterSpec | undefined;
    if (!parsed.ok) {
      updates.push({ type: CONDITION.reconciled, status: 'False', reason: 'InvalidSpec', message: parsed.message });
      await this.#d.events.record(cr, 'Warning', 'InvalidSpec', parsed.message);
    } else {
      spec = parsed.spec;
      try {
        await this.#applyChildren(cr, spec);
        updates.push({ type: CONDITION.reconciled, status: 'True', reason: 'Applied', message: 'all children applied' });
      } catch (err) {
        const message = (err as Error).message;
        log.warn({ key, err: message }, 'apply failed');
        updates.push({ type: CONDITION.reconciled, status: 'False', reason: reasonOf(err), message });
        if (findCondition(previous.conditions, CONDITION.reconciled)?.message !== message) await this.#d.events.record(cr, 'Warning', 'ReconcileFailed', message);
      }
    }

    let topics = previous.topics;
    if (spec) {
      const outcome = await this.#topics(cr, spec);
      updates.push(outcome.condition);
      if (outcome.topics.length > 0) topics = outcome.topics;
      for (const change of outcome.changes) await this.#d.events.record(cr, 'Normal', 'TopicsReconciled', change);
      if (outcome.condition.status === 'False' && findCondition(previous.conditions, CONDITION.topics)?.message !== outcome.condition.message) {
        await this.#d.events.record(cr, 'Warning', outcome.condition.reason, outcome.condition.message);
      }
    }

    let schema = previous.schema;
    if (spec) {
      const image = migrationImage(spec);
      const job = await kube.get<V1Job>(resourcePath('batch/v1', 'jobs', namespace, migrationJobName(cr, spec)));
      const cond = schemaCondition(job, image);
      updates.push(cond);
      if (cond.status === 'True') schema = { image, job: migrationJobName(cr, spec) };
      if (cond.reason === 'MigrationFailed' && findCondition(previous.conditions, CONDITION.schema)?.reason !== 'MigrationFailed') {
        await this.#d.events.record(cr, 'Warning', 'MigrationFailed', cond.message);
      }
    }

    const components: Partial<Record<ComponentName, ComponentStatus>> = {};
    for (const c of COMPONENTS) {
      const dep = await kube.get<V1Deployment>(resourcePath('apps/v1', 'deployments', namespace, deploymentName(cr, c)));
      updates.push(componentCondition(c, dep));
      components[c] = componentStatus(dep, spec ? configHash(spec, c) : (previous.components?.[c]?.configHash ?? ''));
    }

    let conditions = mergeConditions(previous.conditions, updates, generation, now);
    conditions = mergeConditions(conditions, [readyCondition(conditions)], generation, now);
    const wasReady = findCondition(previous.conditions, CONDITION.ready)?.status === 'True';
    const isReady = findCondition(conditions, CONDITION.ready)?.status === 'True';
    const everReady = wasReady || previous.phase === 'Degraded' || previous.phase === 'Ready';
    const status: ChatClusterStatus = {
      observedGeneration: generation, phase: derivePhase(conditions, everReady), conditions, components,
      ...(topics ? { topics } : {}), ...(schema ? { schema } : {}),
    };
    if (isReady !== wasReady) {
      const ready = findCondition(conditions, CONDITION.ready)!;
      await this.#d.events.record(cr, isReady ? 'Normal' : 'Warning', isReady ? 'Ready' : 'NotReady', ready.message);
    }
    await this.#writeStatus(cr, previous, status);
    return isReady ? {} : { requeueAfterMs: this.#d.notReadyRequeueMs };
  }

  /** Forget per-object memory (the object is gone). */
  forget(uid: string): void {
    this.#topicsDone.delete(uid);
  }

  async #applyChildren(cr: ChatCluster, spec: ChatClusterSpec): Promise<void> {
    await this.#handReplicasToAutoscaler(cr, spec);
    const desired = desiredChildren(cr, spec);
    for (const obj of desired) await this.#d.kube.apply(obj, FIELD_MANAGER);
    // Prune what this object owns but no longer wants (autoscaling or ingress switched off, PDB below 2 pods).
    const wanted = new Set(desired.map((o) => `${o.kind}/${o.metadata?.name}`));
    const selector = `${CLUSTER_LABEL}=${cr.metadata.name},app.kubernetes.io/managed-by=${MANAGED_BY}`;
    for (const k of CHILD_KINDS) {
      const list = await this.#d.kube.list<KubernetesObject>(resourcePath(k.apiVersion, k.plural, cr.metadata.namespace), selector);
      for (const item of list.items) {
        const owned = item.metadata?.ownerReferences?.some((r) => r.uid === cr.metadata.uid);
        if (owned && !wanted.has(`${k.kind}/${item.metadata?.name}`)) {
          this.#d.log.info({ kind: k.kind, name: item.metadata?.name }, 'pruning child no longer wanted');
          // Background propagation: a Job's pods go with it (the API's default for Jobs would orphan them).
          await this.#d.kube.delete(resourcePath(k.apiVersion, k.plural, cr.metadata.namespace, item.metadata?.name), {
            apiVersion: 'v1', kind: 'DeleteOptions', propagationPolicy: 'Background',
          });
        }
      }
    }
  }

  /**
   * Switching autoscaling on: before the operator's apply drops `replicas`, a second field manager applies the
   * current count, so the field keeps an owner and its value until the HPA changes it (the server-side apply
   * "transfer ownership" pattern). Without this the Deployment would fall to 1 replica for a moment.
   */
  async #handReplicasToAutoscaler(cr: ChatCluster, spec: ChatClusterSpec): Promise<void> {
    for (const c of COMPONENTS) {
      if (!spec[c].autoscaling.enabled) continue;
      const name = deploymentName(cr, c);
      const dep = await this.#d.kube.get<V1Deployment>(resourcePath('apps/v1', 'deployments', cr.metadata.namespace, name));
      if (!dep || !ownsReplicas(dep.metadata?.managedFields, FIELD_MANAGER)) continue;
      const replicas = dep.spec?.replicas ?? 1;
      this.#d.log.info({ deployment: name, replicas }, 'autoscaling switched on: handing replicas over to the HPA');
      await this.#d.kube.apply({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: cr.metadata.namespace }, spec: { replicas } } as KubernetesObject, REPLICAS_HANDOVER_MANAGER);
    }
  }

  async #topics(cr: ChatCluster, spec: ChatClusterSpec): Promise<TopicOutcome> {
    if (!spec.kafka.manageTopics) {
      return { topics: [], changes: [], condition: { type: CONDITION.topics, status: 'True', reason: 'NotManaged', message: 'spec.kafka.manageTopics is false: topics are managed elsewhere' } };
    }
    const done = this.#topicsDone.get(cr.metadata.uid);
    const generation = cr.metadata.generation ?? 0;
    // Kafka round trips are skipped while nothing changed, since Deployment status events trigger many reconciles.
    if (done && done.generation === generation && Date.now() - done.at < this.#d.topicRecheckMs) return { ...done.outcome, changes: [] };
    const outcome = await reconcileTopics(spec, this.#d.openKafkaAdmin, this.#d.kafkaTimeoutMs);
    if (outcome.condition.status === 'True') this.#topicsDone.set(cr.metadata.uid, { generation, at: Date.now(), outcome });
    else this.#topicsDone.delete(cr.metadata.uid);
    return outcome;
  }

  async #writeStatus(cr: ChatCluster, previous: ChatClusterStatus, status: ChatClusterStatus): Promise<void> {
    // Compared canonically (key order differs between the server's JSON and ours): an unchanged status is not
    // written, so a status write does not trigger yet another reconcile.
    if (stableHash(previous) === stableHash(status)) return;
    const path = `${resourcePath(API_VERSION, PLURAL, cr.metadata.namespace, cr.metadata.name)}/status`;
    // The resourceVersion precondition makes a status computed from a stale read fail (409) and be retried.
    await this.#d.kube.mergePatch(path, { metadata: { resourceVersion: cr.metadata.resourceVersion }, status });
  }
}
