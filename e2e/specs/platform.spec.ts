import { test, expect } from '@playwright/test';

test('the chat-server serves its page and reports every store reachable', async ({ page }, testInfo) => {
  await page.goto('/');
  await expect(page.getByRole('heading', { name: 'Sunsu Chat' })).toBeVisible();
  await expect(page.getByRole('status')).toHaveText('All systems ready');
  const checks = page.getByRole('list', { name: 'Dependencies' }).getByRole('listitem');
  await expect(checks).toHaveCount(4);
  for (const name of ['redis', 'kafka', 'mongodb', 'postgres']) {
    await expect(page.locator(`li[data-check="${name}"]`)).toHaveClass('ok');
  }
  await page.screenshot({ path: testInfo.outputPath('status-page.png'), fullPage: true });
});
