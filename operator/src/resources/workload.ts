import type { V1Deployment, V1PodSpec } from '@kubernetes/client-node';
import { CONFIG_HASH_ANNOTATION, type ChatCluster, type ChatClusterSpec, type ComponentName } from '../api/spec.ts';
import { HTTP, componentEnv, configHash, configMapName } from './config.ts';
import { COMPONENT_NAMES, childMeta, childName, commonLabels, selectorLabels } from './meta.ts';
import { serviceAccountName } from './policy.ts';

export const deploymentName = (cr: ChatCluster, component: ComponentName): string => childName(cr, COMPONENT_NAMES[component]);

/**
 * How a component's pods leave and join. chat-server holds client sockets behind Services and an ingress: a
 * terminating pod keeps serving for PRE_STOP_SLEEP_SECONDS while its endpoint is removed everywhere (kube-proxy,
 * the ingress controller), then drains its sockets on SIGTERM; a new pod must stay ready MIN_READY_SECONDS before
 * the rollout takes the next old one, so clients move over a few at a time instead of all at once.
 */
export const ROLLOUT: Record<ComponentName, { preStopSleepSeconds: number; minReadySeconds: number }> = {
  chatServer: { preStopSleepSeconds: 5, minReadySeconds: 10 },
  dispatcher: { preStopSleepSeconds: 0, minReadySeconds: 5 },
  syncer: { preStopSleepSeconds: 0, minReadySeconds: 0 },
};

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
      minReadySeconds: ROLLOUT[component].minReadySeconds,
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
          // pre-stop sleep + chat-server's socket drain (CHAT_SHUTDOWN_GRACE_MS, 10 s) + margin.
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
              // /readyz checks every store with a 2 s bound each: the probe must wait longer than that.
              livenessProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3 },
              readinessProbe: { httpGet: { path: '/readyz', port: 'http' }, periodSeconds: 5, timeoutSeconds: 5, failureThreshold: 2 },
              startupProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 2, timeoutSeconds: 3, failureThreshold: 60 },
              ...(ROLLOUT[component].preStopSleepSeconds > 0 ? { lifecycle: { preStop: { sleep: { seconds: ROLLOUT[component].preStopSleepSeconds } } } } : {}),
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
