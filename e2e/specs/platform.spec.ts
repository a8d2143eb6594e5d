import { test, expect } from '@playwright/test';

test('the chat-server serves the chat page and reports every store reachable', async ({ page, request }, testInfo) => {
  const ready = await request.get('/readyz');
  expect(ready.status()).toBe(200);
  expect(((await ready.json()) as { ready: boolean }).ready).toBe(true);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('/');
  await expect(page.getByRole('heading', { name: 'Sunsu Chat' })).toBeVisible();
  await expect(page.getByRole('form', { name: 'Sign in' })).toBeVisible();
  await page.screenshot({ path: testInfo.outputPath('sign-in.png'), fullPage: true });
  expect(errors).toEqual([]);
});

test('a bad sign-in is reported on the page, not thrown away', async ({ page }) => {
  await page.goto('/');
  const form = page.getByRole('form', { name: 'Sign in' });
  await form.getByRole('button', { name: 'Sign in' }).click();
  await expect(form.getByRole('alert')).toHaveText(/Enter a user id/);
  await form.getByText('Sign in with a token instead').click();
  await form.getByLabel('Token').fill('not-a-token');
  await form.getByRole('button', { name: 'Sign in' }).click();
  await expect(form.getByRole('alert')).toHaveText(/cannot be read/);
});

test('a token the server refuses brings the page back to sign-in with the reason', async ({ page, request }) => {
  const res = await request.post('/dev/token', { data: { userId: '4242', name: 'Forger', role: 'couple' } });
  const token = ((await res.json()) as { data: { token: string } }).data.token;
  // Same claims, broken signature: readable by the page, refused by the server.
  const forged = `${token.slice(0, token.lastIndexOf('.') + 1)}${'A'.repeat(43)}`;
  await page.goto('/');
  const form = page.getByRole('form', { name: 'Sign in' });
  await form.getByText('Sign in with a token instead').click();
  await form.getByLabel('Token').fill(forged);
  await form.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('form', { name: 'Sign in' }).getByRole('alert')).toHaveText(/no longer valid \(authentication failed: invalid token/);
});
