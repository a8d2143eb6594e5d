import { hostname } from 'node:os';
import { z } from 'zod';
import { loadConfig } from '@sunsu/config';

const bool = z.enum(['true', 'false']).transform((v) => v === 'true');

/** The operator's own settings (environment; the chart sets them). */
export const OperatorEnv = z.object({
  /** Outside a cluster: a kubeconfig file. Inside: unset, the pod's service account is used. */
  KUBECONFIG: z.string().optional(),
  OPERATOR_HTTP_HOST: z.string().default('127.0.0.1'),
  OPERATOR_HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(8081),
  OPERATOR_IDENTITY: z.string().min(1).default(`${hostname()}-${process.pid}`),
  OPERATOR_LEADER_ELECT: bool.default(true),
  OPERATOR_LEASE_NAMESPACE: z.string().min(1).default('default'),
  OPERATOR_LEASE_NAME: z.string().min(1).default('chat-operator'),
  /** Lease timing (as controller-runtime's flags): a crashed leader is replaced after the duration. */
  OPERATOR_LEASE_DURATION_SECONDS: z.coerce.number().int().min(2).default(15),
  OPERATOR_LEASE_RENEW_DEADLINE_SECONDS: z.coerce.number().int().min(1).default(10),
  OPERATOR_LEASE_RETRY_SECONDS: z.coerce.number().positive().default(2),
  /** Watch only this namespace; empty = all namespaces (needs the chart's ClusterRole). */
  OPERATOR_WATCH_NAMESPACE: z.string().optional(),
  OPERATOR_RESYNC_SECONDS: z.coerce.number().int().min(10).default(120),
  OPERATOR_WATCHDOG_SECONDS: z.coerce.number().int().min(10).default(120),
  OPERATOR_CONCURRENCY: z.coerce.number().int().min(1).max(16).default(2),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});
export type OperatorEnv = z.output<typeof OperatorEnv>;

export function loadOperatorConfig(env: Record<string, string | undefined> = process.env): OperatorEnv {
  const cfg = loadConfig(OperatorEnv, { ...env, OPERATOR_WATCH_NAMESPACE: env.OPERATOR_WATCH_NAMESPACE || undefined });
  // client-go's rule: the leader must give up (renew deadline) before others may take over (duration).
  if (cfg.OPERATOR_LEASE_RENEW_DEADLINE_SECONDS >= cfg.OPERATOR_LEASE_DURATION_SECONDS) {
    throw new Error('invalid configuration:\n  OPERATOR_LEASE_RENEW_DEADLINE_SECONDS: must be less than OPERATOR_LEASE_DURATION_SECONDS');
  }
  return cfg;
}
