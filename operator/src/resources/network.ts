import type { V1Ingress, V1Service } from '@kubernetes/client-node';
import type { ChatCluster, ChatClusterSpec, ComponentName } from '../api/spec.ts';
import { HTTP } from './config.ts';
import { COMPONENT_NAMES, childMeta, childName, selectorLabels } from './meta.ts';

export const serviceName = (cr: ChatCluster, component: ComponentName): string => childName(cr, COMPONENT_NAMES[component]);

/** chat-server: the public port 80; dispatcher and syncer: health and metrics only (scraped by Prometheus). */
export function buildService(cr: ChatCluster, component: ComponentName): V1Service {
  const meta = childMeta(cr, serviceName(cr, component), component);
  meta.annotations = { 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(HTTP[component].port), 'prometheus.io/path': '/metrics' };
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
  };
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: meta,
    spec: {
      ingressClassName: ing.className,
      tls: ing.tlsSecretName ? [{ hosts: [ing.host], secretName: ing.tlsSecretName }] : undefined,
      rules: [
        {
          host: ing.host,
          http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: serviceName(cr, 'chatServer'), port: { name: 'http' } } } }] },
        },
      ],
    },
  };
}
