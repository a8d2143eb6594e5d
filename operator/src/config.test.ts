import { loadOperatorConfig } from './config.ts';

describe('loadOperatorConfig', () => {
  it('has defaults for a local run and treats an empty watch namespace as all namespaces', () => {
    const c = loadOperatorConfig({ OPERATOR_WATCH_NAMESPACE: '' });
    expect(c.OPERATOR_HTTP_HOST).toBe('127.0.0.1');
    expect(c.OPERATOR_LEADER_ELECT).toBe(true);
    expect(c.OPERATOR_WATCH_NAMESPACE).toBeUndefined();
    expect(c.OPERATOR_LEASE_DURATION_SECONDS).toBe(15);
  });

  it('refuses a renew deadline that is not shorter than the lease, and bad values, all at once', () => {
    expect(() => loadOperatorConfig({ OPERATOR_LEASE_DURATION_SECONDS: '5', OPERATOR_LEASE_RENEW_DEADLINE_SECONDS: '5' })).toThrow(/RENEW_DEADLINE/);
    expect(() => loadOperatorConfig({ OPERATOR_LEADER_ELECT: 'yes', OPERATOR_HTTP_PORT: '-1' })).toThrow(/OPERATOR_LEADER_ELECT[\s\S]*OPERATOR_HTTP_PORT|OPERATOR_HTTP_PORT[\s\S]*OPERATOR_LEADER_ELECT/);
  });
});
