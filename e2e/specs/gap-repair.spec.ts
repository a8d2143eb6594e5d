/**
 * Gap repair without a reload: the couple's page loses one pushed message (the spec drops its STOMP MESSAGE frame
 * between the server and the page, on the page's default raw-WebSocket transport). The next push shows the gap,
 * and the page must fetch the lost message from history and show all three in order, on the same connection.
 */
import { test, expect, type Request } from '@playwright/test';
import { createRoom, messageTexts, messages, newUser, openAs, openRoom, sendText, signIn } from './helpers.ts';

const baseURL = process.env.E2E_BASE_URL ?? 'http://127.0.0.1:8080';

/** Whether one STOMP frame is the MESSAGE push of `text` to the room topic (leading heart-beat EOLs allowed). */
function isPushOf(frame: string, code: string, text: string): boolean {
  const f = frame.replace(/^[\r\n]+/, '');
  return f.startsWith('MESSAGE\n') && f.includes(`\ndestination:/topic/chat/rooms/${code}\n`) && f.includes(JSON.stringify(text));
}

test('a dropped push is fetched from history once the next message shows the gap', async ({ browser, request }, testInfo) => {
  const couple = newUser('couple', 'Couple Gap');
  const planner = newUser('planner', 'Planner Gap');
  const code = await createRoom(request, baseURL, couple, planner);
  const lost = 'lost in transit';

  const context = await browser.newContext({ baseURL });
  const page = await context.newPage();
  let sockets = 0;
  let dropped = 0;
  // Every /stomp socket of the page goes through this proxy; only the push of `lost` is held back.
  await page.routeWebSocket(/\/stomp(\?|$)/, (ws) => {
    sockets += 1;
    const server = ws.connectToServer();
    ws.onMessage((m) => server.send(m));
    server.onMessage((m) => {
      if (typeof m !== 'string') return ws.send(m);
      const frames = m.split('\0');
      const kept = frames.filter((f) => !isPushOf(f, code, lost));
      dropped += frames.length - kept.length;
      const rest = kept.join('\0');
      if (rest) ws.send(rest);
    });
  });
  await signIn(page, couple);
  const b = await openAs(browser, baseURL, planner, testInfo);
  await openRoom(page, code);
  await openRoom(b.page, code);

  await sendText(b.page, 'first');
  await expect(messages(page).getByText('first')).toBeVisible();
  const firstSeq = Number(await messages(page).locator('li.msg[data-seq]').filter({ hasText: 'first' }).getAttribute('data-seq'));
  const socketsBefore = sockets;
  const catchUps: string[] = [];
  const onRequest = (r: Request) => {
    const url = new URL(r.url());
    if (url.pathname === `/api/chat/messages/${code}` && url.searchParams.has('after')) catchUps.push(url.searchParams.get('after')!);
  };
  page.on('request', onRequest);

  await sendText(b.page, lost);
  await expect.poll(() => dropped).toBeGreaterThanOrEqual(1);
  expect(await messageTexts(page)).toEqual(['first']);

  await sendText(b.page, 'after the gap');
  await expect(messages(page).getByText(lost)).toBeVisible();
  expect(await messageTexts(page)).toEqual(['first', lost, 'after the gap']);
  const seqs = await messages(page).locator('li.msg[data-seq]').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-seq'))));
  expect(seqs).toEqual([firstSeq, firstSeq + 1, firstSeq + 2]);
  // Repaired by a catch-up from the highest contiguous sequence held, on the same connections (no reconnect).
  expect(catchUps).toContain(String(firstSeq));
  expect(sockets).toBe(socketsBefore);
  await expect(page.getByRole('status', { name: 'Connection' })).toHaveText('Connected');

  page.off('request', onRequest);
  await context.close();
  await b.context.close();
});
