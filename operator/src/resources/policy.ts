import type { V1PodDisruptionBudget, V1ServiceAccount, V2HorizontalPodAutoscaler } from '@kubernetes/client-node';
import type { ChatCluster, ChatClusterSpec, ComponentName } from '../api/spec.ts';
import { COMPONENT_NAMES, childMeta, childName, selectorLabels } from './meta.ts';

export const serviceAccountName = (cr: ChatCluster): string => childName(cr, 'chat');

/** The services call no Kubernetes API: their account exists only so they do not run as `default`. */
export function buildServiceAccount(cr: ChatCluster): V1ServiceAccount {
  return { apiVersion: 'v1', kind: 'ServiceAccount', metadata: childMeta(cr, serviceAccountName(cr)), automountServiceAccountToken: false };
}

/** A budget only makes sense with more than one pod; with one it would block node drains forever. */
export function buildPdb(cr: ChatCluster, spec: ChatClusterSpec, component: ComponentName): V1PodDisruptionBudget | undefined {
  const c = spec[component];
  const minPods = c.autoscaling.enabled ? c.autoscaling.minReplicas : c.replicas;
  if (minPods <= 1) return undefined;
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: childMeta(cr, childName(cr, COMPONENT_NAMES[component]), component),
    spec: { maxUnavailable: c.maxUnavailable, selector: { matchLabels: selectorLabels(cr, component) } },
  };
}

export function buildHpa(cr: ChatCluster, spec: ChatClusterSpec, component: ComponentName): V2HorizontalPodAutoscaler | undefined {
  const a = spec[component].autoscaling;
  if (!a.enabled) return undefined;
  const name = childName(cr, COMPONENT_NAMES[component]);
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: childMeta(cr, name, component),
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
      minReplicas: a.minReplicas,
      maxReplicas: a.maxReplicas,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: a.targetCPUUtilizationPercentage } } }],
    },
  };
}
