import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { S3Storage } from './s3-storage.ts';

const endpoint = process.env.CHAT_S3_ENDPOINT ?? `http://127.0.0.1:${process.env.S3_PORT ?? '19000'}`;

async function bytesOf(body: Buffer | Readable): Promise<Buffer> {
  if (Buffer.isBuffer(body)) return body;
  const chunks: Buffer[] = [];
  for await (const c of body) chunks.push(Buffer.from(c as Uint8Array));
  return Buffer.concat(chunks);
}

/** The S3 adapter over real HTTP with SigV4 against the local S3-compatible server (infra/s3.sh). */
describe('S3Storage against an S3-compatible server', () => {
  const storage = new S3Storage({
    bucket: 'sunsu-uploads',
    region: 'us-east-1',
    endpoint,
    prefix: `it-${randomUUID()}`,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local-secret' },
  });
  afterAll(() => storage.close());

  it('stores, reads back, replaces and deletes objects', async () => {
    const key = `rooms/${randomUUID()}/${randomUUID()}.png`;
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3, 0, 255]);
    await storage.put(key, png, 'image/png');
    const got = await storage.get(key);
    expect(got?.contentType).toBe('image/png');
    expect(got?.size).toBe(png.length);
    expect(await bytesOf(got!.body)).toEqual(png);

    await storage.put(key, Buffer.from('GIF89a-replaced'), 'image/gif');
    const replaced = await storage.get(key);
    expect(replaced?.contentType).toBe('image/gif');
    expect((await bytesOf(replaced!.body)).toString()).toBe('GIF89a-replaced');

    await storage.delete(key);
    expect(await storage.get(key)).toBeNull();
    await storage.delete(key); // deleting a missing object is fine
  });

  it('answers null for a missing object and refuses keys that could escape their namespace', async () => {
    expect(await storage.get(`rooms/${randomUUID()}/missing.png`)).toBeNull();
    for (const bad of ['../x', 'rooms/../../etc/passwd', '/abs', 'a//b', '.hidden']) {
      await expect(storage.put(bad, Buffer.from('x'), 'image/png')).rejects.toThrow(/invalid storage key/);
    }
  });
});
