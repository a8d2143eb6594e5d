import { defineConfig } from '@playwright/test';

/**
 * Playwright drives Debian's Chromium (browser downloads are not possible here). The platform is started by
 * infra/test.sh; E2E_BASE_URL points at it.
 */
export default defineConfig({
  testDir: './specs',
  outputDir: process.env.E2E_OUTPUT ?? '../.run/e2e-artifacts',
  timeout: 60_000,
  expect: { timeout: 10_000 },
  workers: 1,
  retries: 0,
  reporter: [['list'], ['json', { outputFile: process.env.E2E_REPORT ?? '../.run/reports/playwright.json' }]],
  use: {
    baseURL: process.env.E2E_BASE_URL ?? 'http://127.0.0.1:8080',
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic',
        // The cluster run reaches the ingress by its host name on the node address, without /etc/hosts.
        ...(process.env.E2E_HOST_RESOLVER_RULES ? [`--host-resolver-rules=${process.env.E2E_HOST_RESOLVER_RULES}`] : []),
      ],
    },
  },
});
