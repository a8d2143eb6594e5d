/**
 * Two people in two browser contexts (couple and planner) in one room, against the platform started by
 * infra/test.sh. Each test uses fresh user ids, so runs and tests never share rooms.
 */
import { test, expect } from '@playwright/test';
import {
  createRoom,
  makePng,
  messageTexts,
  messages,
  newUser,
  openAs,
  openRoom,
  presenceDot,
  roomLink,
  roomList,
  screenshot,
  sendText,
} from './helpers.ts';

const baseURL = process.env.E2E_BASE_URL ?? 'http://127.0.0.1:8080';

test('couple and planner exchange text; the "1" marker clears when the partner opens the room', async ({ browser, request }, testInfo) => {
  const couple = newUser('couple', 'Couple Kim');
  const planner = newUser('planner', 'Planner Lee');
  const code = await createRoom(request, baseURL, couple, planner);
  const a = await openAs(browser, baseURL, couple, testInfo);
  const b = await openAs(browser, baseURL, planner, testInfo);

  await openRoom(a.page, code);
  await sendText(a.page, 'Hello, we are planning a May wedding');
  const mine = messages(a.page).locator('li.msg.mine[data-seq]').last();
  // The planner has not opened the room: one participant has not read it.
  await expect(mine.getByLabel('not read by 1')).toHaveText('1');

  await openRoom(b.page, code);
  await expect(messages(b.page).getByText('Hello, we are planning a May wedding')).toBeVisible();
  // Entering the room read it: the couple's marker goes away live (read event), without a reload.
  await expect(mine.locator('.marker')).toHaveCount(0);

  await sendText(b.page, 'Congratulations! May is a great month.');
  await expect(messages(a.page).getByText('Congratulations! May is a great month.')).toBeVisible();
  // Both are in the room, so the reply is read at once on both sides.
  await expect(messages(a.page).locator('.marker')).toHaveCount(0);
  await expect(messages(b.page).locator('.marker')).toHaveCount(0);
  expect(await messageTexts(a.page)).toEqual(['Hello, we are planning a May wedding', 'Congratulations! May is a great month.']);
  expect(await messageTexts(b.page)).toEqual(await messageTexts(a.page));

  await screenshot(a.page, testInfo, 'room-view-couple');
  await screenshot(b.page, testInfo, 'room-view-planner');
  await a.context.close();
  await b.context.close();
});

test('the partner presence dot turns on when they open the room and off when they leave', async ({ browser, request }, testInfo) => {
  const couple = newUser('couple', 'Couple Park');
  const planner = newUser('planner', 'Planner Choi');
  const code = await createRoom(request, baseURL, couple, planner);
  const a = await openAs(browser, baseURL, couple, testInfo);
  const b = await openAs(browser, baseURL, planner, testInfo);
  await openRoom(a.page, code);
  await expect(presenceDot(a.page)).toHaveAttribute('aria-label', 'offline');
  await openRoom(b.page, code);
  await expect(presenceDot(a.page)).toHaveAttribute('aria-label', 'online');
  await expect(presenceDot(b.page)).toHaveAttribute('aria-label', 'online');

  // Leaving the room (still signed in on the page) closes the room's connection: offline.
  await b.page.getByRole('button', { name: 'Back to chats' }).click();
  await expect(presenceDot(a.page)).toHaveAttribute('aria-label', 'offline');
  await openRoom(b.page, code);
  await expect(presenceDot(a.page)).toHaveAttribute('aria-label', 'online');
  // Closing the browser tab: offline too.
  await b.context.close();
  await expect(presenceDot(a.page)).toHaveAttribute('aria-label', 'offline');
  await a.context.close();
});

test('the typing indicator shows while the partner types and goes away when they send', async ({ browser, request }, testInfo) => {
  const couple = newUser('couple', 'Couple Jung');
  const planner = newUser('planner', 'Planner Yoon');
  const code = await createRoom(request, baseURL, couple, planner);
  const a = await openAs(browser, baseURL, couple, testInfo);
  const b = await openAs(browser, baseURL, planner, testInfo);
  await openRoom(a.page, code);
  await openRoom(b.page, code);
  const typing = a.page.locator('#typing');
  await b.page.getByRole('textbox', { name: 'Message' }).pressSequentially('Let me check the ', { delay: 20 });
  await expect(typing).toContainText('is typing');
  await b.page.getByRole('button', { name: 'Send', exact: true }).click();
  await expect(messages(a.page).getByText('Let me check the')).toBeVisible();
  await expect(typing).toHaveText('');
  await a.context.close();
  await b.context.close();
});

test('image messages: preview and progress, shown on both sides; non-images are refused with a message', async ({ browser, request }, testInfo) => {
  const couple = newUser('couple', 'Couple Han');
  const planner = newUser('planner', 'Planner Seo');
  const code = await createRoom(request, baseURL, couple, planner);
  const a = await openAs(browser, baseURL, couple, testInfo);
  const b = await openAs(browser, baseURL, planner, testInfo);
  await openRoom(a.page, code);
  await openRoom(b.page, code);

  const picker = a.page.getByLabel('Attach image');
  await picker.setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not an image') });
  await expect(a.page.locator('#room-error')).toHaveText(/Only PNG, JPEG, GIF or WebP/);
  await expect(a.page.getByRole('group', { name: 'Image to send' })).toBeHidden();

  await picker.setInputFiles({ name: 'venue.png', mimeType: 'image/png', buffer: makePng(160, 90, [200, 40, 90]) });
  const preview = a.page.getByRole('group', { name: 'Image to send' });
  await expect(preview.getByRole('img', { name: 'Selected image' })).toBeVisible();
  await preview.getByRole('button', { name: 'Send image' }).click();
  await expect(preview).toBeHidden();
  await expect(a.page.locator('#room-error')).toHaveText('');

  for (const page of [a.page, b.page]) {
    const photo = messages(page).getByRole('img', { name: 'Photo from Couple Han' });
    await expect(photo).toBeVisible();
    // Really loaded (the file route needs the token; the page fetches it and shows a blob URL).
    await expect.poll(() => photo.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(160);
    expect(await photo.getAttribute('src')).toMatch(/^blob:/);
  }
  // A bigger image over a slow uplink: the progress bar shows the upload, then goes away with the preview.
  const cdp = await a.context.newCDPSession(a.page);
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 20, downloadThroughput: -1, uploadThroughput: 256 * 1024 });
  await picker.setInputFiles({ name: 'hall.png', mimeType: 'image/png', buffer: makePng(300, 300, 'noise') });
  await preview.getByRole('button', { name: 'Send image' }).click();
  const progress = preview.getByRole('progressbar', { name: 'Upload progress' });
  await expect(progress).toBeVisible();
  await expect(preview.getByRole('button', { name: 'Send image' })).toBeDisabled();
  await expect(preview).toBeHidden({ timeout: 20_000 });
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
  await expect(messages(b.page).getByRole('img', { name: 'Photo from Couple Han' })).toHaveCount(2);
  // Too large for the limit: refused before any upload, with the sizes.
  await picker.setInputFiles({ name: 'huge.png', mimeType: 'image/png', buffer: Buffer.alloc(10 * 1024 * 1024 + 1) });
  await expect(a.page.locator('#room-error')).toHaveText(/too large \(10\.0 MiB; the limit is 10\.0 MiB\)/);
  // Bytes that only claim to be an image are refused by the server, and the page says why.
  await picker.setInputFiles({ name: 'fake.png', mimeType: 'image/png', buffer: Buffer.from('this is text, not a PNG') });
  await preview.getByRole('button', { name: 'Send image' }).click();
  await expect(a.page.locator('#room-error')).toHaveText(/The image was not sent: .*PNG, JPEG, GIF or WebP/);
  await screenshot(b.page, testInfo, 'room-view-image');
  await a.context.close();
  await b.context.close();
});

test('the room list moves a room up on a new message and counts unread until the room is opened', async ({ browser, request }, testInfo) => {
  const couple = newUser('couple', 'Couple Oh');
  const plannerA = newUser('planner', 'Planner Moon');
  const plannerB = newUser('planner', 'Planner Baek');
  const roomA = await createRoom(request, baseURL, couple, plannerA);
  const roomB = await createRoom(request, baseURL, couple, plannerB);
  const c = await openAs(browser, baseURL, couple, testInfo);
  const pa = await openAs(browser, baseURL, plannerA, testInfo);
  const pb = await openAs(browser, baseURL, plannerB, testInfo);

  await openRoom(pa.page, roomA);
  await sendText(pa.page, 'Moon: first');
  await openRoom(pb.page, roomB);
  await sendText(pb.page, 'Baek: first');
  await c.page.reload();
  const links = roomList(c.page).locator('a[data-room]');
  // Newest first: B wrote last.
  await expect(links).toHaveCount(2);
  await expect(links.nth(0)).toHaveAttribute('data-room', roomB);
  await expect(roomLink(c.page, roomB)).toContainText('Planner Baek');
  await expect(roomLink(c.page, roomB).getByLabel('1 unread')).toBeVisible();
  await expect(roomLink(c.page, roomA).getByLabel('1 unread')).toBeVisible();

  // A new message in A moves A to the top and bumps its badge, live.
  await sendText(pa.page, 'Moon: second');
  await expect(links.nth(0)).toHaveAttribute('data-room', roomA);
  await expect(roomLink(c.page, roomA).getByLabel('2 unread')).toBeVisible();
  await expect(roomLink(c.page, roomA)).toContainText('Moon: second');
  await expect(c.page.getByLabel('3 unread in all chats')).toBeVisible();
  await screenshot(c.page, testInfo, 'room-list');

  // Opening A clears its badge; a message in A while it is open does not count.
  await openRoom(c.page, roomA);
  await expect(roomLink(c.page, roomA).locator('.badge')).toHaveCount(0);
  await sendText(pa.page, 'Moon: third');
  await expect(messages(c.page).getByText('Moon: third')).toBeVisible();
  await expect(roomLink(c.page, roomA).locator('.badge')).toHaveCount(0);
  await expect(roomLink(c.page, roomB).getByLabel('1 unread')).toBeVisible();
  // An image is previewed as a photo in the list.
  await pb.page.getByLabel('Attach image').setInputFiles({ name: 'dress.png', mimeType: 'image/png', buffer: makePng(20, 20, [10, 10, 200]) });
  await pb.page.getByRole('button', { name: 'Send image' }).click();
  await expect(links.nth(0)).toHaveAttribute('data-room', roomB);
  await expect(roomLink(c.page, roomB).locator('.room-preview')).toHaveText('Photo');
  await expect(roomLink(c.page, roomB).getByLabel('2 unread')).toBeVisible();
  // The server agrees after a reload.
  await c.page.reload();
  await expect(roomLink(c.page, roomB).getByLabel('2 unread')).toBeVisible();
  await screenshot(c.page, testInfo, 'room-list-and-room');
  for (const s of [c, pa, pb]) await s.context.close();
});

test('malicious content is shown as text and never runs', async ({ browser, request }, testInfo) => {
  const couple = newUser('couple', '<b>Evil</b> Couple');
  const planner = newUser('planner', 'Planner Ko');
  const code = await createRoom(request, baseURL, couple, planner);
  const a = await openAs(browser, baseURL, couple, testInfo);
  const b = await openAs(browser, baseURL, planner, testInfo);
  const dialogs: string[] = [];
  for (const page of [a.page, b.page]) page.on('dialog', (d) => void (dialogs.push(d.message()), d.dismiss()));
  await openRoom(a.page, code);
  await openRoom(b.page, code);
  const payloads = ['<img src=x onerror=alert(1)>', '<script>alert(2)</script>', '"><svg onload=alert(3)>'];
  for (const p of payloads) await sendText(a.page, p);
  await expect(messages(b.page).locator('li.msg[data-seq]')).toHaveCount(payloads.length);
  expect(await messageTexts(b.page)).toEqual(payloads);
  // No element was created from the text, on either side, in the room or in the list preview.
  for (const page of [a.page, b.page]) {
    await expect(messages(page).locator('.bubble img, .bubble script, .bubble svg')).toHaveCount(0);
    await expect(roomList(page).locator('img, script, svg')).toHaveCount(0);
  }
  await expect(messages(b.page).getByText('<b>Evil</b> Couple').first()).toBeVisible();
  await b.page.waitForTimeout(500);
  expect(dialogs).toEqual([]);
  await a.context.close();
  await b.context.close();
});

test('history loads older pages on scroll, each message once and in order', async ({ browser, request }, testInfo) => {
  const couple = newUser('couple', 'Couple Shin');
  const planner = newUser('planner', 'Planner Kwon');
  const code = await createRoom(request, baseURL, couple, planner);
  const a = await openAs(browser, baseURL, couple, testInfo);
  await openRoom(a.page, code);
  const input = a.page.getByRole('textbox', { name: 'Message' });
  const total = 45;
  for (let i = 1; i <= total; i++) {
    await input.fill(`message ${i}`);
    await input.press('Enter');
    // Stay under the server's per-connection send rate (20/s).
    if (i % 10 === 0) await expect(messages(a.page).locator('li.msg[data-seq]').filter({ hasText: `message ${i}` })).toHaveCount(1);
  }
  await expect(messages(a.page).locator('li.msg[data-seq]')).toHaveCount(total);

  const b = await openAs(browser, baseURL, planner, testInfo);
  await openRoom(b.page, code);
  // First page: the newest 30 (page size) — then scrolling to the top fetches the rest.
  await expect(messages(b.page).locator('li.msg[data-seq]').last()).toContainText(`message ${total}`);
  await expect(messages(b.page).locator('li.msg[data-seq]')).toHaveCount(30);
  await b.page.locator('#scroller').evaluate((s) => s.scrollTo(0, 0));
  await expect(messages(b.page).locator('li.msg[data-seq]')).toHaveCount(total);
  expect(await messageTexts(b.page)).toEqual(Array.from({ length: total }, (_, i) => `message ${i + 1}`));
  await expect(b.page.getByText('Beginning of the conversation')).toBeVisible();
  await a.context.close();
  await b.context.close();
});

for (const transport of ['sockjs', 'socketio'] as const) {
  test(`text both ways over ${transport}`, async ({ browser, request }, testInfo) => {
    const couple = newUser('couple', `Couple ${transport}`);
    const planner = newUser('planner', `Planner ${transport}`);
    const code = await createRoom(request, baseURL, couple, planner);
    const a = await openAs(browser, baseURL, couple, testInfo, transport);
    const b = await openAs(browser, baseURL, planner, testInfo, transport);
    await openRoom(a.page, code);
    await sendText(a.page, `ping over ${transport}`);
    await openRoom(b.page, code);
    await expect(messages(a.page).locator('.marker')).toHaveCount(0);
    await sendText(b.page, `pong over ${transport}`);
    await expect(messages(a.page).getByText(`pong over ${transport}`)).toBeVisible();
    expect(await messageTexts(b.page)).toEqual([`ping over ${transport}`, `pong over ${transport}`]);
    await a.context.close();
    await b.context.close();
  });
}

test("someone else's room is refused on the page without a reconnect loop", async ({ browser, request }, testInfo) => {
  const couple = newUser('couple', 'Couple Yang');
  const planner = newUser('planner', 'Planner Hwang');
  const outsider = newUser('couple', 'Outsider');
  const code = await createRoom(request, baseURL, couple, planner);
  const o = await openAs(browser, baseURL, outsider, testInfo);
  const sockets: string[] = [];
  o.page.on('websocket', (ws) => sockets.push(ws.url()));
  await o.page.goto(`/#/rooms/${code}`);
  await expect(o.page.getByRole('alert').filter({ hasText: 'not a participant' })).toBeVisible();
  await expect(o.page.getByRole('textbox', { name: 'Message' })).toBeDisabled();
  await expect(o.page.getByRole('status', { name: 'Connection' })).toHaveText('Connected');
  const opened = sockets.length;
  await o.page.waitForTimeout(3_000);
  // At most the one room connection that was refused; no new attempts every few seconds.
  expect(sockets.length - opened).toBe(0);
  await o.context.close();
});
