/** Shared steps of the chat specs: users, sign-in through the page, rooms, and locators the specs select by. */
import { randomBytes } from 'node:crypto';
import { crc32, deflateSync } from 'node:zlib';
import { expect, type APIRequestContext, type Browser, type BrowserContext, type Page, type TestInfo } from '@playwright/test';

export interface User {
  userId: string;
  name: string;
  role: 'couple' | 'planner';
}

let counter = 0;
/** Fresh user ids per test (positive int64, unique across runs), so runs never see each other's rooms. */
export function newUser(role: User['role'], name: string): User {
  counter += 1;
  const id = `${Date.now()}${String(process.pid % 1000).padStart(3, '0')}${String(counter).padStart(3, '0')}`;
  return { userId: id, name, role };
}

export async function tokenFor(request: APIRequestContext, baseURL: string, user: User): Promise<string> {
  const res = await request.post(`${baseURL}/dev/token`, { data: user });
  expect(res.status(), await res.text()).toBe(200);
  return ((await res.json()) as { data: { token: string } }).data.token;
}

/** Creates (or finds) the 1:1 room of two users through the REST API, as the first user. */
export async function createRoom(request: APIRequestContext, baseURL: string, a: User, b: User): Promise<string> {
  const token = await tokenFor(request, baseURL, a);
  const res = await request.post(`${baseURL}/api/chat/rooms`, { data: { plannerId: b.userId }, headers: { authorization: `Bearer ${token}` } });
  expect(res.status(), await res.text()).toBe(200);
  return ((await res.json()) as { data: { chatRoomCode: string } }).data.chatRoomCode;
}

export interface Side {
  user: User;
  context: BrowserContext;
  page: Page;
}

/** A browser context of its own (separate storage, as a second person's browser), signed in as `user`. */
export async function openAs(browser: Browser, baseURL: string, user: User, testInfo: TestInfo, transport = 'stomp', query = ''): Promise<Side> {
  const context = await browser.newContext({ baseURL });
  const page = await context.newPage();
  page.on('pageerror', (err) => testInfo.annotations.push({ type: 'pageerror', description: `${user.name}: ${err.message}` }));
  await signIn(page, user, transport, query);
  return { user, context, page };
}

export async function signIn(page: Page, user: User, transport = 'stomp', query = ''): Promise<void> {
  await page.goto(`/${query}`);
  const form = page.getByRole('form', { name: 'Sign in' });
  await form.getByLabel('User id').fill(user.userId);
  await form.getByLabel('Name').fill(user.name);
  await form.getByLabel('Role').selectOption(user.role);
  await form.getByLabel('Connection').selectOption(transport);
  await form.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('status', { name: 'Connection' })).toHaveText('Connected');
}

export const roomList = (page: Page) => page.getByRole('list', { name: 'Chat rooms' });
export const roomLink = (page: Page, code: string) => roomList(page).locator(`a[data-room="${code}"]`);
export const messages = (page: Page) => page.getByRole('log', { name: 'Messages' });
export const presenceDot = (page: Page) => page.locator('#presence');

export async function openRoom(page: Page, code: string): Promise<void> {
  await expect(roomLink(page, code)).toBeVisible();
  await roomLink(page, code).click();
  await expect(page.getByRole('status', { name: 'Connection' })).toHaveText('Connected');
}

export async function sendText(page: Page, text: string): Promise<void> {
  await page.getByRole('textbox', { name: 'Message' }).fill(text);
  await page.getByRole('button', { name: 'Send', exact: true }).click();
  // Confirmed (pushed back with its sequence), not just shown as pending.
  await expect(messages(page).locator('li.msg[data-seq]').filter({ hasText: text }).last()).toBeVisible();
}

/** The texts of the confirmed messages, in display order. */
export async function messageTexts(page: Page): Promise<string[]> {
  return messages(page).locator('li.msg[data-seq] .bubble').allTextContents();
}

export async function screenshot(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  const path = testInfo.outputPath(`${name}.png`);
  await page.screenshot({ path, fullPage: true });
  await testInfo.attach(name, { path, contentType: 'image/png' });
}

/** A solid-colour PNG of w×h pixels, generated rather than stored (valid: signature, IHDR, IDAT, IEND, CRCs). */
export function makePng(w: number, h: number, rgb: [number, number, number] | 'noise'): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  // Noise does not compress: a big file from few lines.
  const row = () => Buffer.concat([Buffer.from([0]), rgb === 'noise' ? randomBytes(w * 3) : Buffer.from(Array.from({ length: w }, () => rgb).flat())]);
  const raw = Buffer.concat(Array.from({ length: h }, row));
  return Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}
