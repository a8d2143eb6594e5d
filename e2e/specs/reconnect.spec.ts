/**
 * Reconnect with missed-message recovery: the couple's page is connected to the chat-server at E2E_BASE_URL
 * (instance E2E_CHAT_INSTANCE, `e2e-chat-server-1` under infra/test.sh); the planner uses a second chat-server that
 * this spec starts, so only the couple's server goes away. While it is stopped the planner keeps writing; after the
 * restart the couple's page must show every message exactly once, in order, without a reload.
 */
import { test, expect } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createRoom, messageTexts, messages, newUser, openAs, openRoom, sendText } from './helpers.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const baseURL = process.env.E2E_BASE_URL ?? 'http://127.0.0.1:8080';
const port = Number(new URL(baseURL).port || 80);
const instance = process.env.E2E_CHAT_INSTANCE ?? 'e2e-chat-server-1';
const partner = { spec: `chat-server:e2e-chat-server-2:${port + 2}`, url: `http://127.0.0.1:${port + 2}` };
const managed = existsSync(`${root}/.run/pids/${instance}.pid`);

const services = (...args: string[]) => execFileSync('bash', [`${root}/infra/services.sh`, ...args], { cwd: root, stdio: 'inherit', timeout: 90_000 });

test.describe('reconnect', () => {
  test.skip(!managed, `the chat-server at ${baseURL} is not run by infra/services.sh as ${instance} (set E2E_CHAT_INSTANCE)`);
  test.setTimeout(180_000);
  test.beforeAll(() => services('start', partner.spec));
  test.afterAll(() => services('stop', 'chat-server:e2e-chat-server-2'));
  // Whatever happens in the test, the shared chat-server is running again for the specs after this one.
  test.afterEach(() => services('start', `chat-server:${instance}:${port}`));

  test('a page whose chat-server restarts shows every message once, in order, after reconnecting', async ({ browser, request }, testInfo) => {
    const couple = newUser('couple', 'Couple Ryu');
    const planner = newUser('planner', 'Planner Nam');
    const code = await createRoom(request, baseURL, couple, planner);
    // Pings every second instead of every minute, so a timer leaked by the reconnect would show within seconds.
    const a = await openAs(browser, baseURL, couple, testInfo, 'stomp', '?ping=1000');
    const pings: number[] = [];
    a.page.on('websocket', (ws) => ws.on('framesent', (f) => void (typeof f.payload === 'string' && f.payload.includes('/app/presence/ping/') && pings.push(Date.now()))));
    const pingsDuring = async (ms: number) => {
      const from = pings.length;
      await a.page.waitForTimeout(ms);
      return pings.length - from;
    };
    const b = await openAs(browser, partner.url, planner, testInfo);
    await openRoom(a.page, code);
    await openRoom(b.page, code);
    await sendText(a.page, 'before 1');
    await sendText(b.page, 'before 2');
    await expect(messages(a.page).getByText('before 2')).toBeVisible();
    const before = await pingsDuring(4_000);
    expect(before).toBeGreaterThanOrEqual(2);
    expect(before).toBeLessThanOrEqual(5);

    services('stop', `chat-server:${instance}`);
    const status = a.page.getByRole('status', { name: 'Connection' });
    await expect(status).toContainText('Reconnecting');
    const missed = ['while down 1', 'while down 2', 'while down 3'];
    for (const text of missed) await sendText(b.page, text);
    services('start', `chat-server:${instance}:${port}`);

    await expect(status).toHaveText('Connected', { timeout: 30_000 });
    await expect(messages(a.page).getByText('while down 3')).toBeVisible();
    await sendText(a.page, 'after');
    await expect(messages(b.page).getByText('after')).toBeVisible();
    const expected = ['before 1', 'before 2', ...missed, 'after'];
    expect(await messageTexts(a.page)).toEqual(expected);
    expect(await messageTexts(b.page)).toEqual(expected);
    const seqs = await messages(a.page).locator('li.msg[data-seq]').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-seq'))));
    expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    expect(new Set(seqs).size).toBe(expected.length);
    // Back in the room after the restart: the partner sees the couple online again, and the planner's
    // messages are read (no "1" left on the planner's side).
    await expect(messages(b.page).locator('.marker')).toHaveCount(0);
    // Still one ping timer after the reconnect (the original client added one per connect).
    const after = await pingsDuring(4_000);
    expect(after).toBeGreaterThanOrEqual(2);
    expect(after).toBeLessThanOrEqual(5);
    await a.context.close();
    await b.context.close();
  });
});
