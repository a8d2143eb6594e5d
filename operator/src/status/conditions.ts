import type { V1Deployment, V1Job } from '@kubernetes/client-node';
import type { ComponentName, ComponentStatus, Condition } from '../api/spec.ts';

export const CONDITION = {
  ready: 'Ready',
  chatServer: 'ChatServerAvailable',
  dispatcher: 'DispatcherAvailable',
  syncer: 'SyncerAvailable',
  topics: 'TopicsReady',
  schema: 'SchemaReady',
  reconciled: 'Reconciled',
  paused: 'ReconciliationPaused',
} as const;

export const COMPONENT_CONDITION: Record<ComponentName, string> = {
  chatServer: CONDITION.chatServer,
  dispatcher: CONDITION.dispatcher,
  syncer: CONDITION.syncer,
};

export type ConditionInput = Omit<Condition, 'lastTransitionTime' | 'observedGeneration'>;

/**
 * Upsert conditions by type. lastTransitionTime only moves when the status value changes, so "since when is it
 * not ready" stays truthful across the many reconciles that find nothing new.
 */
export function mergeConditions(previous: Condition[] | undefined, updates: ConditionInput[], generation: number | undefined, now: string): Condition[] {
  const byType = new Map((previous ?? []).map((c) => [c.type, c]));
  for (const u of updates) {
    const old = byType.get(u.type);
    const lastTransitionTime = old && old.status === u.status ? old.lastTransitionTime : now;
    byType.set(u.type, { ...u, lastTransitionTime, ...(generation === undefined ? {} : { observedGeneration: generation }) });
  }
  return [...byType.values()];
}

export const findCondition = (conditions: Condition[] | undefined, type: string): Condition | undefined =>
  conditions?.find((c) => c.type === type);

/** What a Deployment's status says about one component (the controller manager and kubelet fill it in). */
export function componentStatus(deployment: V1Deployment | undefined, hash: string): ComponentStatus {
  const s = deployment?.status;
  return {
    replicas: s?.replicas ?? 0,
    readyReplicas: s?.readyReplicas ?? 0,
    availableReplicas: s?.availableReplicas ?? 0,
    updatedReplicas: s?.updatedReplicas ?? 0,
    configHash: hash,
  };
}

/**
 * A component is available when its Deployment's controller has seen the latest spec, every desired replica is
 * updated and available. Zero desired replicas counts as available (scaled down on purpose).
 */
export function componentCondition(component: ComponentName, deployment: V1Deployment | undefined): ConditionInput {
  const type = COMPONENT_CONDITION[component];
  if (!deployment) return { type, status: 'False', reason: 'DeploymentMissing', message: 'the Deployment does not exist yet' };
  const desired = deployment.spec?.replicas ?? 1;
  const st = deployment.status ?? {};
  const observed = (st.observedGeneration ?? 0) >= (deployment.metadata?.generation ?? 0);
  const available = st.availableReplicas ?? 0;
  const updated = st.updatedReplicas ?? 0;
  if (!observed) return { type, status: 'False', reason: 'RolloutPending', message: 'the Deployment controller has not seen the latest spec yet' };
  const failed = st.conditions?.find((c) => c.type === 'Progressing' && c.status === 'False');
  if (failed) return { type, status: 'False', reason: 'RolloutFailed', message: failed.message ?? 'rollout failed' };
  if (available >= desired && updated >= desired && (st.replicas ?? 0) <= desired) {
    return { type, status: 'True', reason: 'MinimumReplicasAvailable', message: `${available}/${desired} replicas available` };
  }
  return { type, status: 'False', reason: 'ReplicasUnavailable', message: `${available}/${desired} replicas available, ${updated} updated` };
}

/** The schema is in place when this image version's migration Job succeeded. */
export function schemaCondition(job: V1Job | undefined, image: string): ConditionInput {
  const type = CONDITION.schema;
  if (!job) return { type, status: 'False', reason: 'MigrationPending', message: `the migration Job for ${image} does not exist yet` };
  const st = job.status ?? {};
  if ((st.succeeded ?? 0) > 0 || st.conditions?.some((c) => c.type === 'Complete' && c.status === 'True')) {
    return { type, status: 'True', reason: 'MigrationsApplied', message: `migrations of ${image} applied by Job ${job.metadata?.name}` };
  }
  const failed = st.conditions?.find((c) => c.type === 'Failed' && c.status === 'True');
  if (failed) {
    return { type, status: 'False', reason: 'MigrationFailed', message: `Job ${job.metadata?.name} failed (${failed.reason ?? 'Failed'}): ${failed.message ?? 'see its pod logs'}` };
  }
  return { type, status: 'False', reason: 'MigrationRunning', message: `Job ${job.metadata?.name} is applying the migrations of ${image} (${st.failed ?? 0} failed attempts)` };
}

export type Phase = 'Pending' | 'Progressing' | 'Ready' | 'Degraded' | 'Failed' | 'Paused';

/**
 * One word for `kubectl get`: Failed = the operator could not apply the spec; Paused = on purpose; Ready = all
 * good; Pending = nothing is available yet; Degraded = it ran before and lost availability; else Progressing.
 */
export function derivePhase(conditions: Condition[], everReady: boolean): Phase {
  const is = (type: string) => findCondition(conditions, type)?.status === 'True';
  if (is(CONDITION.paused)) return 'Paused';
  if (findCondition(conditions, CONDITION.reconciled)?.status === 'False') return 'Failed';
  if (is(CONDITION.ready)) return 'Ready';
  const anyAvailable = Object.values(COMPONENT_CONDITION).some(is);
  if (!anyAvailable && !everReady) return 'Pending';
  return everReady ? 'Degraded' : 'Progressing';
}

/** The summary condition: every part must be True; the message names the parts that are not. */
export function readyCondition(conditions: Condition[]): ConditionInput {
  const parts = [CONDITION.reconciled, CONDITION.topics, CONDITION.schema, ...Object.values(COMPONENT_CONDITION)];
  const notReady = parts
    .map((t) => findCondition(conditions, t) ?? { type: t, status: 'Unknown', reason: 'Unknown', message: 'not evaluated yet' })
    .filter((c) => c.status !== 'True');
  if (notReady.length === 0) return { type: CONDITION.ready, status: 'True', reason: 'AllComponentsReady', message: 'all components available, topics ready' };
  const first = notReady[0]!;
  return {
    type: CONDITION.ready,
    status: 'False',
    reason: first.reason,
    message: notReady.map((c) => `${c.type}: ${c.message}`).join('; '),
  };
}
