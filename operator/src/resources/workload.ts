import type { V1Deployment, V1PodSpec } from '@kubernetes/client-node';
import { CONFIG_HASH_ANNOTATION, type ChatCluster, type ChatClusterSpec, type ComponentName } from '../api/spec.ts';
import { HTTP, componentEnv, configHash, configMapName } from './config.ts';
import { COMPONENT_NAMES, childMeta, childName, commonLabels, selectorLabels } from './meta.ts';
import { serviceAccountName } from './policy.ts';

export const deploymentName = (cr: ChatCluster, component: ComponentName): string => childName(cr, COMPONENT_NAMES[component]);

export function buildDeployment(cr: ChatCluster, spec: ChatClusterSpec, component: ComponentName): V1Deployment {
  const c = spec[component];
  const http = HTTP[component];
  const name = COMPONENT_NAMES[component];
  const volumes: V1PodSpec['volumes'] = [{ name: 'tmp', emptyDir: {} }];
  const mounts = [{ name: 'tmp', mountPath: '/tmp' }];
  if (component === 'chatServer') {
    volumes.push({ name: 'uploads', emptyDir: {} });
    mounts.push({ name: 'uploads', mountPath: '/data/uploads' });
  }
  const deployment: V1Deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: childMeta(cr, deploymentName(cr, component), component),
    spec: {
      // With an HPA the replica count belongs to the HPA: leaving it out of the apply avoids a tug of war.
      ...(c.autoscaling.enabled ? {} : { replicas: c.replicas }),
      revisionHistoryLimit: 5,
      selector: { matchLabels: selectorLabels(cr, component) },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      template: {
        metadata: {
          labels: commonLabels(cr, component),
          annotations: { [CONFIG_HASH_ANNOTATION]: configHash(spec, component) },
        },
        spec: {
          serviceAccountName: serviceAccountName(cr),
          automountServiceAccountToken: false,
          // chat-server drains sockets for CHAT_SHUTDOWN_GRACE_MS (10 s) on SIGTERM; leave room for it.
          terminationGracePeriodSeconds: 30,
          securityContext: { runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, fsGroup: 10001, seccompProfile: { type: 'RuntimeDefault' } },
          nodeSelector: Object.keys(c.nodeSelector).length > 0 ? c.nodeSelector : undefined,
          tolerations: c.tolerations.length > 0 ? c.tolerations : undefined,
          topologySpreadConstraints: [
            { maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: selectorLabels(cr, component) } },
          ],
          containers: [
            {
              name,
              image: c.image,
              imagePullPolicy: c.imagePullPolicy,
              ports: [{ name: 'http', containerPort: http.port, protocol: 'TCP' }],
              envFrom: [{ configMapRef: { name: configMapName(cr) } }],
              env: componentEnv(spec, component),
              resources: c.resources as V1PodSpec['containers'][number]['resources'],
              livenessProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 10, failureThreshold: 3 },
              readinessProbe: { httpGet: { path: '/readyz', port: 'http' }, periodSeconds: 5, failureThreshold: 2 },
              startupProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 2, failureThreshold: 30 },
              securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
              volumeMounts: mounts,
            },
          ],
          volumes,
        },
      },
    },
  };
  return deployment;
}
