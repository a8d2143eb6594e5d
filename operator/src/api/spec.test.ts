import { readFileSync } from 'node:fs';
import { parseSpec } from './spec.ts';
import { CRD_FILE, renderCrdYaml } from './gen-crd.ts';
import { rawSpec } from '../testing/fixtures.ts';

describe('parseSpec', () => {
  it('applies the same defaults as the CRD', () => {
    const p = parseSpec(rawSpec());
    if (!p.ok) throw new Error(p.message);
    expect(p.spec.chatServer.replicas).toBe(2);
    expect(p.spec.syncer.replicas).toBe(1);
    expect(p.spec.kafka.topics).toEqual({ partitions: 6, replicationFactor: 1, retentionHours: 168 });
    expect(p.spec.ingress.enabled).toBe(false);
  });

  it('reports every problem at once with its path', () => {
    const p = parseSpec(rawSpec({ auth: {}, kafka: { bootstrapServers: 'no-port' }, chatServer: {} }));
    expect(p.ok).toBe(false);
    if (p.ok) return;
    expect(p.message).toContain('spec.auth: exactly one of auth.jwtSecretRef or auth.jwksUrl must be set');
    expect(p.message).toContain('spec.kafka.bootstrapServers');
    expect(p.message).toContain('spec.chatServer.image');
  });

  it('refuses both JWT modes together and inverted autoscaling bounds', () => {
    expect(parseSpec(rawSpec({ auth: { jwksUrl: 'https://a/jwks', jwtSecretRef: { name: 'a', key: 'b' } } })).ok).toBe(false);
    expect(parseSpec(rawSpec({ chatServer: { image: 'x', autoscaling: { enabled: true, minReplicas: 5, maxReplicas: 2 } } })).ok).toBe(false);
  });
});

describe('CRD', () => {
  it('chart copy is generated from crd.ts (run `node operator/src/api/gen-crd.ts` after editing it)', () => {
    expect(readFileSync(CRD_FILE, 'utf8')).toBe(renderCrdYaml());
  });

  it('carries the cross-field and transition rules', () => {
    const yaml = renderCrdYaml();
    expect(yaml).toContain('has(self.jwtSecretRef) != has(self.jwksUrl)');
    expect(yaml).toContain('self >= oldSelf');
    expect(yaml).toContain('self == oldSelf');
  });
});
