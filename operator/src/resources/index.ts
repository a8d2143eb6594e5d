import type { KubernetesObject } from '@kubernetes/client-node';
import { COMPONENTS, type ChatCluster, type ChatClusterSpec } from '../api/spec.ts';
import { buildConfigMap } from './config.ts';
import { buildMigrationJob } from './migrations.ts';
import { buildIngress, buildService } from './network.ts';
import { buildHpa, buildPdb, buildServiceAccount } from './policy.ts';
import { buildDeployment } from './workload.ts';

export { configHash, configMapName, HTTP } from './config.ts';
export { deploymentName, ROLLOUT } from './workload.ts';
export { migrationJobName } from './migrations.ts';
export { CLUSTER_LABEL, COMPONENT_NAMES, MANAGED_BY, childName, stableHash } from './meta.ts';

/** Kinds the operator creates, with the API to list them (for pruning and watching). Order = apply order. */
export const CHILD_KINDS = [
  { apiVersion: 'v1', kind: 'ServiceAccount', plural: 'serviceaccounts' },
  { apiVersion: 'v1', kind: 'ConfigMap', plural: 'configmaps' },
  { apiVersion: 'v1', kind: 'Service', plural: 'services' },
  { apiVersion: 'batch/v1', kind: 'Job', plural: 'jobs' },
  { apiVersion: 'apps/v1', kind: 'Deployment', plural: 'deployments' },
  { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', plural: 'poddisruptionbudgets' },
  { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', plural: 'horizontalpodautoscalers' },
  { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', plural: 'ingresses' },
] as const;

/**
 * Everything one ChatCluster should own, computed from the CR alone (pure: no I/O). Objects the spec no longer
 * asks for (an HPA after autoscaling is switched off) are absent, and the reconciler prunes them.
 */
export function desiredChildren(cr: ChatCluster, spec: ChatClusterSpec): KubernetesObject[] {
  const out: KubernetesObject[] = [buildServiceAccount(cr), buildConfigMap(cr, spec)];
  for (const c of COMPONENTS) out.push(buildService(cr, spec, c));
  out.push(buildMigrationJob(cr, spec));
  for (const c of COMPONENTS) out.push(buildDeployment(cr, spec, c));
  for (const c of COMPONENTS) {
    const pdb = buildPdb(cr, spec, c);
    if (pdb) out.push(pdb);
    const hpa = buildHpa(cr, spec, c);
    if (hpa) out.push(hpa);
  }
  const ingress = buildIngress(cr, spec);
  if (ingress) out.push(ingress);
  return out;
}
