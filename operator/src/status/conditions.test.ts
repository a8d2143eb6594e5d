import type { V1Deployment, V1Job } from '@kubernetes/client-node';
import type { Condition } from '../api/spec.ts';
import { CONDITION, componentCondition, derivePhase, mergeConditions, readyCondition, schemaCondition, type ConditionInput } from './conditions.ts';

const dep = (desired: number, status: Record<string, unknown>, generation = 3): V1Deployment => ({
  metadata: { generation },
  spec: { replicas: desired, selector: {}, template: {} },
  status: { observedGeneration: generation, ...status },
});
const all = (status: 'True' | 'False', overrides: Partial<Record<string, 'True' | 'False'>> = {}): Condition[] =>
  mergeConditions(undefined, [CONDITION.reconciled, CONDITION.topics, CONDITION.schema, CONDITION.chatServer, CONDITION.dispatcher, CONDITION.syncer].map(
    (type): ConditionInput => ({ type, status: overrides[type] ?? status, reason: 'R', message: `${type} says ${overrides[type] ?? status}` }),
  ), 1, '2026-01-01T00:00:00Z');

describe('componentCondition', () => {
  it('is True only when every desired replica is updated and available', () => {
    expect(componentCondition('chatServer', dep(2, { replicas: 2, availableReplicas: 2, updatedReplicas: 2 })).status).toBe('True');
    const partial = componentCondition('chatServer', dep(3, { replicas: 3, availableReplicas: 2, updatedReplicas: 3 }));
    expect(partial).toMatchObject({ status: 'False', reason: 'ReplicasUnavailable', message: '2/3 replicas available, 3 updated' });
  });

  it('is False during a rollout: old pods still around, or the controller has not seen the new spec', () => {
    expect(componentCondition('dispatcher', dep(2, { replicas: 3, availableReplicas: 2, updatedReplicas: 1 })).status).toBe('False');
    expect(componentCondition('dispatcher', dep(2, { replicas: 2, availableReplicas: 2, updatedReplicas: 2, observedGeneration: 2 })).reason).toBe('RolloutPending');
  });

  it('reports a missing Deployment and a failed rollout', () => {
    expect(componentCondition('syncer', undefined)).toMatchObject({ type: 'SyncerAvailable', status: 'False', reason: 'DeploymentMissing' });
    const failed = dep(1, { conditions: [{ type: 'Progressing', status: 'False', message: 'ProgressDeadlineExceeded' }] });
    expect(componentCondition('syncer', failed)).toMatchObject({ reason: 'RolloutFailed', message: 'ProgressDeadlineExceeded' });
  });

  it('treats zero desired replicas as available', () => {
    expect(componentCondition('syncer', dep(0, {})).status).toBe('True');
  });
});

describe('mergeConditions', () => {
  it('keeps lastTransitionTime while the status is unchanged and moves it on a change', () => {
    const first = mergeConditions(undefined, [{ type: 'X', status: 'True', reason: 'A', message: 'a' }], 1, 't1');
    const same = mergeConditions(first, [{ type: 'X', status: 'True', reason: 'B', message: 'b' }], 2, 't2');
    expect(same[0]).toMatchObject({ lastTransitionTime: 't1', reason: 'B', observedGeneration: 2 });
    const flipped = mergeConditions(same, [{ type: 'X', status: 'False', reason: 'C', message: 'c' }], 3, 't3');
    expect(flipped[0]!.lastTransitionTime).toBe('t3');
    expect(flipped).toHaveLength(1);
  });
});

describe('readyCondition and phase', () => {
  it('Ready is True only when every part is True; otherwise it names the parts that are not', () => {
    expect(readyCondition(all('True')).status).toBe('True');
    const r = readyCondition(all('True', { [CONDITION.topics]: 'False', [CONDITION.syncer]: 'False' }));
    expect(r.status).toBe('False');
    expect(r.message).toContain('TopicsReady: TopicsReady says False');
    expect(r.message).toContain('SyncerAvailable');
    expect(r.message).not.toContain('ChatServerAvailable');
  });

  it('treats a part never evaluated as not ready', () => {
    expect(readyCondition([]).status).toBe('False');
  });

  it('derives the phase', () => {
    const withReady = (c: Condition[]) => mergeConditions(c, [readyCondition(c)], 1, 't');
    expect(derivePhase(withReady(all('True')), false)).toBe('Ready');
    expect(derivePhase(withReady(all('False', { [CONDITION.reconciled]: 'True' })), false)).toBe('Pending');
    expect(derivePhase(withReady(all('True', { [CONDITION.dispatcher]: 'False' })), false)).toBe('Progressing');
    expect(derivePhase(withReady(all('True', { [CONDITION.dispatcher]: 'False' })), true)).toBe('Degraded');
    expect(derivePhase(withReady(all('True', { [CONDITION.reconciled]: 'False' })), true)).toBe('Failed');
    const paused = mergeConditions(all('True'), [{ type: CONDITION.paused, status: 'True', reason: 'P', message: 'p' }], 1, 't');
    expect(derivePhase(paused, true)).toBe('Paused');
  });
});

describe('schemaCondition', () => {
  const job = (status: V1Job['status']): V1Job => ({ metadata: { name: 'demo-migrate-1' }, status });
  it('is True only after the Job of this image succeeded', () => {
    expect(schemaCondition(undefined, 'img:1')).toMatchObject({ status: 'False', reason: 'MigrationPending' });
    expect(schemaCondition(job({ active: 1 }), 'img:1')).toMatchObject({ status: 'False', reason: 'MigrationRunning' });
    expect(schemaCondition(job({ succeeded: 1 }), 'img:1')).toMatchObject({ status: 'True', reason: 'MigrationsApplied' });
    const failed = schemaCondition(job({ failed: 5, conditions: [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' }] }), 'img:1');
    expect(failed).toMatchObject({ status: 'False', reason: 'MigrationFailed' });
    expect(failed.message).toContain('BackoffLimitExceeded');
  });
  it('keeps the cluster from Ready until the schema is in place', () => {
    expect(readyCondition(all('True', { [CONDITION.schema]: 'False' }))).toMatchObject({ status: 'False' });
  });
});
