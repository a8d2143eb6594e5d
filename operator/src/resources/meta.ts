import { createHash } from 'node:crypto';
import type { V1ObjectMeta, V1OwnerReference } from '@kubernetes/client-node';
import { API_VERSION, GROUP, KIND, type ChatCluster, type ComponentName } from '../api/spec.ts';

export const MANAGED_BY = 'chat-operator';
export const CLUSTER_LABEL = `${GROUP}/cluster`;

/** Kubernetes names of the components (the CR uses camelCase keys). */
export const COMPONENT_NAMES: Record<ComponentName, string> = {
  chatServer: 'chat-server',
  dispatcher: 'dispatcher',
  syncer: 'syncer',
};

export const childName = (cr: ChatCluster, suffix: string): string => `${cr.metadata.name}-${suffix}`;

/** The labels that select one component's pods; never change them (Deployment selectors are immutable). */
export function selectorLabels(cr: ChatCluster, component: ComponentName): Record<string, string> {
  return { 'app.kubernetes.io/name': COMPONENT_NAMES[component], 'app.kubernetes.io/instance': cr.metadata.name };
}

export function commonLabels(cr: ChatCluster, component?: ComponentName): Record<string, string> {
  return {
    ...(component ? selectorLabels(cr, component) : { 'app.kubernetes.io/instance': cr.metadata.name }),
    ...(component ? { 'app.kubernetes.io/component': COMPONENT_NAMES[component] } : {}),
    'app.kubernetes.io/part-of': 'sunsu-chat',
    'app.kubernetes.io/managed-by': MANAGED_BY,
    [CLUSTER_LABEL]: cr.metadata.name,
  };
}

/** Controller owner reference: garbage collection deletes children with the ChatCluster. */
export function ownerReference(cr: ChatCluster): V1OwnerReference {
  return { apiVersion: API_VERSION, kind: KIND, name: cr.metadata.name, uid: cr.metadata.uid, controller: true, blockOwnerDeletion: true };
}

export function childMeta(cr: ChatCluster, name: string, component?: ComponentName): V1ObjectMeta {
  return { name, namespace: cr.metadata.namespace, labels: commonLabels(cr, component), ownerReferences: [ownerReference(cr)] };
}

/** Stable short hash of a JSON value (keys sorted, so the order of a map does not roll pods). */
export function stableHash(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex').slice(0, 16);
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
