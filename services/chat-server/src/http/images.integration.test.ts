import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  api,
  connectStomp,
  createDirectRoom,
  randomUserId,
  startService,
  tokenFor,
  waitFor,
  type RunningService,
  type TestStompClient,
} from '@sunsu/testkit';

// Real 1x1 images.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');
const JPEG = Buffer.from(
  '/9j/4AAQSkZJRgABAQEASABIAAD/2wBDAP//////////////////////////////////////////////////////////////////////////////////////wgALCAABAAEBAREA/8QAFBABAAAAAAAAAAAAAAAAAAAAAP/aAAgBAQABPxA=',
  'base64',
);
const MAX_BYTES = 200_000;

interface UploadParts {
  /** A string is sent as a text field; a Blob as a file part (what browsers' FormData does with JSON blobs). */
  message?: string | Blob;
  image?: { bytes: Buffer; type: string; name: string };
}

interface ImageMessage {
  messageId: string;
  senderId: string;
  content: string;
  messageType: string;
  sequenceId: number;
  fileUrl: string | null;
}

/**
 * Image messages over the real servers with real processes (chat-server + dispatcher): multipart upload, STOMP
 * delivery, file download with participant-only access, and every refusal storing nothing.
 */
describe('image messages (real servers, real processes)', () => {
  let chat: RunningService;
  let dispatcher: RunningService;
  let uploadDir: string;
  const couple = randomUserId();
  const planner = randomUserId();
  const stranger = randomUserId();
  let coupleToken: string;
  let plannerToken: string;
  let strangerToken: string;
  let room: string;
  let otherRoom: string;
  let recipient: TestStompClient;
  /** Files the successful uploads stored; at the end the upload directory must hold exactly these. */
  const stored: string[] = [];

  const topic = () => `/topic/chat/rooms/${room}`;

  beforeAll(async () => {
    uploadDir = await mkdtemp(join(tmpdir(), 'it-img-uploads-'));
    [chat, dispatcher] = await Promise.all([
      startService('chat-server', 'it-img-chat', { CHAT_UPLOAD_MAX_BYTES: String(MAX_BYTES), CHAT_UPLOAD_DIR: uploadDir }),
      startService('dispatcher', 'it-img-dispatcher'),
    ]);
    [coupleToken, plannerToken, strangerToken] = await Promise.all([tokenFor(couple, 'Couple', 'couple'), tokenFor(planner, 'Planner', 'planner'), tokenFor(stranger, 'Stranger')]);
    room = await createDirectRoom(chat.url, coupleToken, planner);
    otherRoom = await createDirectRoom(chat.url, strangerToken, randomUserId());
    recipient = await connectStomp(chat.url, plannerToken);
    await recipient.subscribe(topic());
  }, 60_000);

  afterAll(async () => {
    await recipient?.close().catch(() => undefined);
    await Promise.allSettled([chat?.stop(), dispatcher?.stop()]);
    if (uploadDir) await rm(uploadDir, { recursive: true, force: true });
  });

  async function upload(token: string | undefined, roomCode: string, parts: UploadParts) {
    const form = new FormData();
    if (parts.message !== undefined) form.append('message', parts.message);
    if (parts.image) form.append('image', new Blob([new Uint8Array(parts.image.bytes)], { type: parts.image.type }), parts.image.name);
    const res = await fetch(`${chat.url}/api/chat/messages/${roomCode}/image`, {
      method: 'POST',
      headers: token ? { authorization: `Bearer ${token}` } : {},
      body: form,
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as { code: number | string; message: string; data?: { messageId: string; sequenceId: number; fileUrl: string } } };
  }

  const messageJson = (extra: Record<string, unknown> = {}) => JSON.stringify({ messageId: randomUUID(), messageType: 'IMAGE', ...extra });
  const png = { bytes: PNG, type: 'image/png', name: 'pixel.png' };

  /** Object files in the upload directory (not the dot-files: metadata sidecars and temp files). */
  async function storedFiles(): Promise<string[]> {
    const entries = await readdir(uploadDir, { recursive: true, withFileTypes: true });
    return entries
      .filter((e) => e.isFile() && !e.name.startsWith('.'))
      .map((e) => join(e.parentPath, e.name).slice(uploadDir.length + 1))
      .sort();
  }

  async function download(fileUrl: string, auth: { bearer?: string; query?: string } = {}) {
    const url = `${chat.url}${fileUrl}${auth.query ? `?access_token=${encodeURIComponent(auth.query)}` : ''}`;
    const res = await fetch(url, { headers: auth.bearer ? { authorization: `Bearer ${auth.bearer}` } : {} });
    return { res, bytes: Buffer.from(await res.arrayBuffer()) };
  }

  let pngUrl: string;

  it('accepts a PNG from a participant and delivers the IMAGE message once over STOMP', async () => {
    const messageId = randomUUID();
    const res = await upload(coupleToken, room, { message: JSON.stringify({ messageId, content: 'our venue', messageType: 'IMAGE' }), image: png });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ code: 200, message: 'success', data: { messageId } });
    const { sequenceId, fileUrl } = res.body.data!;
    expect(sequenceId).toBeGreaterThan(0);
    expect(fileUrl).toMatch(new RegExp(`^/api/chat/files/${room}/[0-9a-f-]{36}\\.png$`));
    pngUrl = fileUrl;
    stored.push(`rooms/${room}/${fileUrl.split('/').at(-1)}`);

    const pushed = () => (recipient.received.get(topic()) ?? []) as ImageMessage[];
    await waitFor(() => pushed().some((m) => m.messageId === messageId), 20_000);
    await new Promise((r) => setTimeout(r, 500)); // a duplicate push would arrive by now
    const mine = pushed().filter((m) => m.messageId === messageId);
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ messageId, senderId: couple, content: 'our venue', messageType: 'IMAGE', sequenceId, fileUrl });

    const history = await waitFor(async () => {
      const h = await api<{ data: ImageMessage[] }>(chat.url, plannerToken, 'GET', `/api/chat/messages/${room}?after=0`);
      return h.body.data.find((m) => m.messageId === messageId);
    }, 20_000);
    expect(history).toMatchObject({ messageType: 'IMAGE', fileUrl, sequenceId });
  }, 40_000);

  it('serves the file to participants (bearer header or access_token) with the sniffed type and safe headers', async () => {
    for (const auth of [{ bearer: coupleToken }, { query: plannerToken }]) {
      const { res, bytes } = await download(pngUrl, auth);
      expect(res.status).toBe(200);
      expect(bytes.equals(PNG)).toBe(true);
      expect(res.headers.get('content-type')).toBe('image/png');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('content-disposition')).toBe('inline');
      expect(res.headers.get('cache-control')).toBe('private, max-age=86400');
    }
  });

  it('refuses the file to a non-participant (403) and to a caller without a valid token (401)', async () => {
    expect((await download(pngUrl, { bearer: strangerToken })).res.status).toBe(403);
    expect((await download(pngUrl, { query: strangerToken })).res.status).toBe(403);
    const anonymous = await download(pngUrl);
    expect(anonymous.res.status).toBe(401);
    expect(JSON.parse(anonymous.bytes.toString())).toMatchObject({ code: 'UNAUTHENTICATED' });
    expect((await download(pngUrl, { query: 'not-a-token' })).res.status).toBe(401);
  });

  it('accepts access_token only on the file route, not on the rest of the API', async () => {
    const res = await fetch(`${chat.url}/api/chat/messages/${room}?access_token=${encodeURIComponent(coupleToken)}`);
    expect(res.status).toBe(401);
  });

  it('answers 404 for a missing file and 400 for a name the upload route cannot have made', async () => {
    const missing = await download(`/api/chat/files/${room}/${randomUUID()}.png`, { bearer: coupleToken });
    expect(missing.res.status).toBe(404);
    expect(JSON.parse(missing.bytes.toString())).toMatchObject({ code: 'NOT_FOUND' });
    for (const name of ['x.png', `${randomUUID()}.svg`, `${randomUUID()}.PNG`, `${randomUUID()}.png.html`, '..%2F..%2Fetc%2Fpasswd', `.${randomUUID()}.png.meta.json`]) {
      expect((await download(`/api/chat/files/${room}/${name}`, { bearer: coupleToken })).res.status).toBe(400);
    }
  });

  it('decides the type by the bytes: a JPEG sent as "photo.png" (image/png) is stored and served as JPEG', async () => {
    const messageId = randomUUID();
    // `message` as a JSON file part, as browsers send `new Blob([json], {type: 'application/json'})`; no content.
    const message = new Blob([JSON.stringify({ messageId, messageType: 'IMAGE' })], { type: 'application/json' });
    const res = await upload(coupleToken, room, { message, image: { bytes: JPEG, type: 'image/png', name: 'photo.png' } });
    expect(res.status).toBe(200);
    const fileUrl = res.body.data!.fileUrl;
    expect(fileUrl).toMatch(/\.jpg$/);
    stored.push(`rooms/${room}/${fileUrl.split('/').at(-1)}`);
    const { res: got, bytes } = await download(fileUrl, { bearer: plannerToken });
    expect(got.headers.get('content-type')).toBe('image/jpeg');
    expect(bytes.equals(JPEG)).toBe(true);
    await waitFor(() => (recipient.received.get(topic()) as ImageMessage[]).find((m) => m.messageId === messageId), 20_000).then((m) =>
      expect(m).toMatchObject({ content: 'image', messageType: 'IMAGE', fileUrl }),
    );
  }, 30_000);

  describe('refusals store nothing', () => {
    let before: string[];
    beforeEach(async () => {
      before = await storedFiles();
    });
    afterEach(async () => {
      expect(await storedFiles()).toEqual(before);
    });

    it('refuses a text file named .png with content-type image/png (415)', async () => {
      const res = await upload(coupleToken, room, { message: messageJson(), image: { bytes: Buffer.from('I am text, not a picture\n'), type: 'image/png', name: 'fake.png' } });
      expect(res).toMatchObject({ status: 415, body: { code: 'UNSUPPORTED_MEDIA_TYPE' } });
    });

    it('refuses an SVG (415)', async () => {
      const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>');
      const res = await upload(coupleToken, room, { message: messageJson(), image: { bytes: svg, type: 'image/svg+xml', name: 'x.svg' } });
      expect(res).toMatchObject({ status: 415, body: { code: 'UNSUPPORTED_MEDIA_TYPE' } });
    });

    it('refuses an image over the size limit (413), just over and far over', async () => {
      // Just over: read through the multipart parser, which stops keeping bytes at the limit.
      const justOver = Buffer.concat([PNG, Buffer.alloc(MAX_BYTES + 1 - PNG.length)]);
      expect(await upload(coupleToken, room, { message: messageJson(), image: { ...png, bytes: justOver } })).toMatchObject({ status: 413, body: { code: 'PAYLOAD_TOO_LARGE' } });
      // Far over: refused from Content-Length before reading the body.
      const farOver = Buffer.concat([PNG, Buffer.alloc(4 * MAX_BYTES)]);
      expect(await upload(coupleToken, room, { message: messageJson(), image: { ...png, bytes: farOver } })).toMatchObject({ status: 413, body: { code: 'PAYLOAD_TOO_LARGE' } });
      // An image of exactly the limit is fine (and the server still answers normally afterwards).
      const exact = Buffer.concat([PNG, Buffer.alloc(MAX_BYTES - PNG.length)]);
      const ok = await upload(coupleToken, room, { message: messageJson(), image: { ...png, bytes: exact } });
      expect(ok.status).toBe(200);
      const key = `rooms/${room}/${ok.body.data!.fileUrl.split('/').at(-1)}`;
      stored.push(key);
      before = [...before, key].sort(); // the only file this test may add
    }, 30_000);

    it('refuses a missing "image" part, a missing "message" part and invalid JSON (400)', async () => {
      expect(await upload(coupleToken, room, { message: messageJson() })).toMatchObject({ status: 400, body: { code: 'BAD_REQUEST', message: expect.stringMatching(/image/) } });
      expect(await upload(coupleToken, room, { image: png })).toMatchObject({ status: 400, body: { code: 'BAD_REQUEST', message: expect.stringMatching(/message/) } });
      expect(await upload(coupleToken, room, { message: '{"messageId":', image: png })).toMatchObject({ status: 400, body: { code: 'BAD_REQUEST', message: expect.stringMatching(/JSON/) } });
      const jsonBlob = new Blob(['{"messageId":'], { type: 'application/json' });
      expect(await upload(coupleToken, room, { message: jsonBlob, image: png })).toMatchObject({ status: 400, body: { code: 'BAD_REQUEST' } });
      expect(await upload(coupleToken, room, { message: '[1,2]', image: png })).toMatchObject({ status: 400, body: { code: 'BAD_REQUEST' } });
      expect(await upload(coupleToken, room, { message: JSON.stringify({ messageType: 'IMAGE' }), image: png })).toMatchObject({ status: 400, body: { code: 'BAD_REQUEST' } });
    });

    it('refuses a body that is not multipart (415)', async () => {
      expect(await api(chat.url, coupleToken, 'POST', `/api/chat/messages/${room}/image`, { messageId: randomUUID() })).toMatchObject({ status: 415 });
    });

    it('refuses an upload to a room the user is not in (403), an unknown room (404), and no token (401)', async () => {
      expect(await upload(coupleToken, otherRoom, { message: messageJson(), image: png })).toMatchObject({ status: 403, body: { code: 'FORBIDDEN' } });
      expect(await upload(coupleToken, randomUUID(), { message: messageJson(), image: png })).toMatchObject({ status: 404, body: { code: 'ROOM_NOT_FOUND' } });
      expect(await upload(undefined, room, { message: messageJson(), image: png })).toMatchObject({ status: 401, body: { code: 'UNAUTHENTICATED' } });
      expect(await storedFiles()).not.toContainEqual(expect.stringContaining(otherRoom));
    });

    it('refuses a senderId that contradicts the token (403) and removes the file it had stored', async () => {
      const res = await upload(coupleToken, room, { message: messageJson({ senderId: planner }), image: png });
      expect(res).toMatchObject({ status: 403, body: { code: 'FORBIDDEN' } });
    });
  });

  it('left exactly the accepted images in the upload directory', async () => {
    expect(await storedFiles()).toEqual([...stored].sort());
  });
});
