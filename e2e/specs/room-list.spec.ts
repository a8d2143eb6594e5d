/**
 * What the page takes from `GET /api/chat/rooms` (ChatRoomSummary: participants, partner name): names before anyone
 * wrote, presence for the side that did not create the room, and group read markers counting every participant.
 */
import { test, expect } from '@playwright/test';
import { createRoom, messages, newUser, openAs, openRoom, presenceDot, roomLink, roomList, sendText, tokenFor } from './helpers.ts';

const baseURL = process.env.E2E_BASE_URL ?? 'http://127.0.0.1:8080';

test.describe('room list', () => {
  test('partner names and presence come from the list before anyone wrote', async ({ browser }, testInfo) => {
    const couple = newUser('couple', 'Couple Gu');
    const planner = newUser('planner', 'Planner Ahn');
    const a = await openAs(browser, baseURL, couple, testInfo);
    const b = await openAs(browser, baseURL, planner, testInfo);
    await a.page.getByLabel('Partner user id').fill(planner.userId);
    await a.page.getByRole('button', { name: 'Start chat' }).click();
    await expect(a.page.getByRole('heading', { level: 2, name: 'Planner Ahn' })).toBeVisible();
    const code = /#\/rooms\/(.+)$/.exec(a.page.url())?.[1] ?? '';
    expect(code).not.toBe('');
    await expect(roomLink(a.page, code)).toContainText('Planner Ahn');
    await expect(roomLink(a.page, code)).toContainText('No messages yet');
    await b.page.reload();
    await expect(roomLink(b.page, code)).toContainText('Couple Gu');
    await openRoom(b.page, code);
    // Nobody wrote: only the list tells the planner who the partner is, so presence works from it alone.
    await expect(presenceDot(b.page)).toHaveAttribute('aria-label', 'online');
    await expect(presenceDot(a.page)).toHaveAttribute('aria-label', 'online');
    await a.context.close();
    await b.context.close();
  });

  test('in a group of three the marker counts everyone who has not read', async ({ browser, request }, testInfo) => {
    const couple = newUser('couple', 'Couple Ma');
    const p1 = newUser('planner', 'Planner Do');
    const p2 = newUser('planner', 'Planner Ra');
    const token = await tokenFor(request, baseURL, couple);
    const res = await request.post(`${baseURL}/api/chat/rooms`, { data: { participantIds: [p1.userId, p2.userId] }, headers: { authorization: `Bearer ${token}` } });
    expect(res.status()).toBe(200);
    const code = ((await res.json()) as { data: { chatRoomCode: string } }).data.chatRoomCode;
    const a = await openAs(browser, baseURL, couple, testInfo);
    const b = await openAs(browser, baseURL, p1, testInfo);
    const c = await openAs(browser, baseURL, p2, testInfo);
    await openRoom(a.page, code);
    await sendText(a.page, 'hello both of you');
    const marker = messages(a.page).locator('li.msg.mine[data-seq]').last().locator('.marker');
    await expect(marker).toHaveText('2');
    await openRoom(b.page, code);
    await expect(marker).toHaveText('1');
    await openRoom(c.page, code);
    await expect(marker).toHaveCount(0);
    for (const s of [a, b, c]) await s.context.close();
  });

  test('pages through more rooms than fit on the first page with the cursor', async ({ browser, request }, testInfo) => {
    const couple = newUser('couple', 'Couple Many');
    const partners = Array.from({ length: 23 }, (_, i) => newUser('planner', `Planner ${String(i + 1).padStart(2, '0')}`));
    for (const p of partners) await createRoom(request, baseURL, couple, p);
    const a = await openAs(browser, baseURL, couple, testInfo);
    const links = roomList(a.page).locator('a[data-room]');
    await expect(links).toHaveCount(20);
    await a.page.getByRole('button', { name: 'Load more chats' }).click();
    await expect(links).toHaveCount(23);
    await expect(a.page.getByRole('button', { name: 'Load more chats' })).toBeHidden();
    const codes = await links.evaluateAll((els) => els.map((e) => e.getAttribute('data-room')));
    expect(new Set(codes).size).toBe(23);
    await a.context.close();
  });
});
