import type { V1Ingress, V1Service } from '@kubernetes/client-node';
import type { ChatCluster, ChatClusterSpec, ComponentName } from '../api/spec.ts';
import { HTTP } from './config.ts';
import { COMPONENT_NAMES, childMeta, childName, selectorLabels } from './meta.ts';

export const serviceName = (cr: ChatCluster, component: ComponentName): string => childName(cr, COMPONENT_NAMES[component]);

/** Cookie affinity for the Traefik and NGINX ingress controllers (each reads only its own annotations). */
export const AFFINITY_COOKIE = 'sunsu_chat_affinity';
const TRAEFIK_SERVICE_AFFINITY: Record<string, string> = {
  'traefik.ingress.kubernetes.io/service.sticky.cookie': 'true',
  'traefik.ingress.kubernetes.io/service.sticky.cookie.name': AFFINITY_COOKIE,
  'traefik.ingress.kubernetes.io/service.sticky.cookie.httponly': 'true',
  'traefik.ingress.kubernetes.io/service.sticky.cookie.samesite': 'lax',
};
const NGINX_INGRESS_AFFINITY: Record<string, string> = {
  'nginx.ingress.kubernetes.io/affinity': 'cookie',
  'nginx.ingress.kubernetes.io/session-cookie-name': AFFINITY_COOKIE,
  'nginx.ingress.kubernetes.io/affinity-mode': 'persistent',
};

/** Affinity matters only when a client's requests can land on different chat-server pods. */
function wantsAffinity(spec: ChatClusterSpec): boolean {
  const c = spec.chatServer;
  return spec.ingress.enabled && spec.ingress.sessionAffinity && (c.autoscaling.enabled ? c.autoscaling.maxReplicas : c.replicas) > 1;
}

/** chat-server: the public port 80; dispatcher and syncer: health and metrics only (scraped by Prometheus). */
export function buildService(cr: ChatCluster, spec: ChatClusterSpec, component: ComponentName): V1Service {
  const meta = childMeta(cr, serviceName(cr, component), component);
  meta.annotations = {
    'prometheus.io/scrape': 'true',
    'prometheus.io/port': String(HTTP[component].port),
    'prometheus.io/path': '/metrics',
    ...(component === 'chatServer' && wantsAffinity(spec) ? TRAEFIK_SERVICE_AFFINITY : {}),
  };
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta,
    spec: {
      type: 'ClusterIP',
      selector: selectorLabels(cr, component),
      ports: [{ name: 'http', port: component === 'chatServer' ? 80 : HTTP[component].port, targetPort: 'http', protocol: 'TCP' }],
    },
  };
}

/**
 * The public surface of chat-server (api-contract: `/`, `/ws`, `/stomp`, `/socket.io/`, `/api/...`), path by
 * path: `/metrics`, `/healthz` and `/readyz` live on the same port for Prometheus and the kubelet but are not
 * routed from outside. The web client's files are listed (a unit test compares them with web/public).
 */
export const PUBLIC_PATHS: { path: string; pathType: 'Exact' | 'Prefix' }[] = [
  { path: '/', pathType: 'Exact' },
  { path: '/index.html', pathType: 'Exact' },
  { path: '/app.css', pathType: 'Exact' },
  { path: '/dist', pathType: 'Prefix' },
  { path: '/api', pathType: 'Prefix' },
  { path: '/stomp', pathType: 'Prefix' },
  { path: '/ws', pathType: 'Prefix' },
  { path: '/socket.io', pathType: 'Prefix' },
];
/** `POST /dev/token`, routed only when the development sign-in is enabled. */
export const DEV_SIGNIN_PATH = { path: '/dev', pathType: 'Prefix' as const };

/**
 * Public entry to chat-server. WebSocket (STOMP, SockJS, Socket.IO) connections live for hours: the proxy timeouts
 * must exceed the heartbeat interval, and buffering must be off so frames are not held back.
 */
export function buildIngress(cr: ChatCluster, spec: ChatClusterSpec): V1Ingress | undefined {
  const ing = spec.ingress;
  if (!ing.enabled || !ing.host) return undefined;
  const timeout = String(ing.webSocketTimeoutSeconds);
  const meta = childMeta(cr, childName(cr, 'chat'), 'chatServer');
  meta.annotations = {
    'nginx.ingress.kubernetes.io/proxy-read-timeout': timeout,
    'nginx.ingress.kubernetes.io/proxy-send-timeout': timeout,
    'nginx.ingress.kubernetes.io/proxy-buffering': 'off',
    'nginx.ingress.kubernetes.io/proxy-http-version': '1.1',
    'nginx.ingress.kubernetes.io/proxy-body-size': '12m',
    ...(wantsAffinity(spec) ? NGINX_INGRESS_AFFINITY : {}),
    ...ing.annotations,
  };
  const backend = { service: { name: serviceName(cr, 'chatServer'), port: { name: 'http' } } };
  const paths = [...PUBLIC_PATHS, ...(spec.auth.devSignIn ? [DEV_SIGNIN_PATH] : [])].map((p) => ({ ...p, backend }));
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: meta,
    spec: {
      ingressClassName: ing.className,
      tls: ing.tlsSecretName ? [{ hosts: [ing.host], secretName: ing.tlsSecretName }] : undefined,
      rules: [{ host: ing.host, http: { paths } }],
    },
  };
}
