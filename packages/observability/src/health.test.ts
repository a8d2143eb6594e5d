import { runReadiness } from '@sunsu/observability';

describe('runReadiness', () => {
  it('is ready only when every check passes', async () => {
    const ok = await runReadiness({ a: async () => undefined, b: async () => undefined });
    expect(ok.ready).toBe(true);
    const bad = await runReadiness({ a: async () => undefined, b: async () => Promise.reject(new Error('down')) });
    expect(bad.ready).toBe(false);
    expect(bad.checks.b).toMatchObject({ ok: false, error: 'down' });
  });
  it('turns a hung check into a timeout instead of hanging', async () => {
    const report = await runReadiness({ hung: () => new Promise(() => undefined) }, 50);
    expect(report.checks.hung).toMatchObject({ ok: false, error: 'timed out after 50 ms' });
  });
});
