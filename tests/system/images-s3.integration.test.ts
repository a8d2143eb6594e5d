import { randomUUID } from 'node:crypto';
import { createDirectRoom, randomUserId, startPlatform, tokenFor, type Platform, type RunningService } from '@sunsu/testkit';

const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');

/**
 * With S3 storage, an image uploaded through one chat-server replica is served by another (no shared disk):
 * the deployment shape for more than one replica.
 */
describe('image messages on S3-compatible storage across replicas', () => {
  let platform: Platform;
  const s3 = {
    CHAT_STORAGE: 's3',
    CHAT_S3_ENDPOINT: `http://127.0.0.1:${process.env.S3_PORT ?? '19000'}`,
    CHAT_S3_PREFIX: `it-${randomUUID()}`,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local-secret',
  };

  beforeAll(async () => {
    platform = await startPlatform('it-s3', { chatServers: 2, chatEnv: s3 });
  });
  afterAll(async () => {
    await platform?.stop();
  });

  it('uploads through one replica and downloads through the other', async () => {
    const [a, b] = platform.chat as [RunningService, RunningService];
    const couple = randomUserId();
    const planner = randomUserId();
    const coupleToken = await tokenFor(couple);
    const plannerToken = await tokenFor(planner, 'Planner', 'planner');
    const room = await createDirectRoom(a.url, coupleToken, planner);
    const form = new FormData();
    form.set('message', JSON.stringify({ messageId: randomUUID(), content: 'dress fitting', messageType: 'IMAGE' }));
    form.set('image', new Blob([PNG], { type: 'application/octet-stream' }), 'photo.bin');
    const res = await fetch(`${a.url}/api/chat/messages/${room}/image`, { method: 'POST', headers: { authorization: `Bearer ${coupleToken}` }, body: form });
    expect(res.status).toBe(200);
    const { fileUrl } = ((await res.json()) as { data: { fileUrl: string } }).data;

    const file = await fetch(`${b.url}${fileUrl}?access_token=${plannerToken}`);
    expect(file.status).toBe(200);
    expect(file.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await file.arrayBuffer())).toEqual(PNG);
    const outsider = await tokenFor(randomUserId());
    expect((await fetch(`${b.url}${fileUrl}`, { headers: { authorization: `Bearer ${outsider}` } })).status).toBe(403);
  }, 60_000);
});
