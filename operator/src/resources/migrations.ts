import type { V1Job, V1PodTemplateSpec } from '@kubernetes/client-node';
import { migrationImage, type ChatCluster, type ChatClusterSpec } from '../api/spec.ts';
import { fromSecret } from './config.ts';
import { childMeta, childName, stableHash } from './meta.ts';
import { serviceAccountName } from './policy.ts';

/** The entry point inside every platform image (packages/db ships in all of them). */
export const MIGRATE_COMMAND = ['node', '/app/packages/db/src/migrate-main.ts'];

/**
 * One Job per version of its pod template (above all the image: a new image may bring new migrations). A Job's
 * template is immutable, so any change (image, node placement, pull policy) means a new Job, named by the hash of
 * its template; migrations are idempotent, so running them again is harmless. The Job stays (owned by the
 * ChatCluster) as the record that this version's schema is in place; the previous one is pruned.
 */
export function buildMigrationJob(cr: ChatCluster, spec: ChatClusterSpec): V1Job {
  const template: V1PodTemplateSpec = {
    spec: {
      restartPolicy: 'Never',
      serviceAccountName: serviceAccountName(cr),
      automountServiceAccountToken: false,
      securityContext: { runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, seccompProfile: { type: 'RuntimeDefault' } },
      nodeSelector: Object.keys(spec.syncer.nodeSelector).length > 0 ? spec.syncer.nodeSelector : undefined,
      tolerations: spec.syncer.tolerations.length > 0 ? spec.syncer.tolerations : undefined,
      containers: [
        {
          name: 'migrate',
          image: migrationImage(spec),
          imagePullPolicy: spec.syncer.imagePullPolicy,
          command: MIGRATE_COMMAND,
          env: [fromSecret('CHAT_POSTGRES_URL', spec.postgres.urlSecretRef)],
          resources: { requests: { cpu: '50m', memory: '96Mi' }, limits: { memory: '256Mi' } },
          securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
        },
      ],
    },
  };
  const meta = childMeta(cr, childName(cr, `migrate-${stableHash({ template, backoffLimit: spec.migrations.backoffLimit }).slice(0, 10)}`));
  meta.labels = { ...meta.labels, 'app.kubernetes.io/component': 'migrations' };
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: meta,
    spec: {
      backoffLimit: spec.migrations.backoffLimit,
      activeDeadlineSeconds: 900,
      template: { ...template, metadata: { labels: { ...meta.labels } } },
    },
  };
}

export const migrationJobName = (cr: ChatCluster, spec: ChatClusterSpec): string => buildMigrationJob(cr, spec).metadata!.name!;
