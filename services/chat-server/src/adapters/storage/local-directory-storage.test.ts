import { mkdtemp, readdir, readFile, rm, symlink, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { LocalDirectoryStorage } from './local-directory-storage.ts';
import type { StoredObject } from './object-storage.ts';

async function bytesOf(object: StoredObject): Promise<Buffer> {
  if (Buffer.isBuffer(object.body)) return object.body;
  const chunks: Buffer[] = [];
  for await (const chunk of object.body as Readable) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Every file under `dir`, relative, including hidden ones. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();
}

describe('LocalDirectoryStorage', () => {
  let base: string;
  let root: string;
  let storage: LocalDirectoryStorage;

  beforeEach(async () => {
    base = await mkdtemp(join(tmpdir(), 'storage-test-'));
    root = join(base, 'root');
    storage = new LocalDirectoryStorage(root);
  });
  afterEach(async () => {
    await rm(base, { recursive: true, force: true });
  });

  it('stores bytes under the key and reads them back with content type and size', async () => {
    const bytes = Buffer.from([0, 1, 2, 250, 255]);
    await storage.put('rooms/abc-123/x.png', bytes, 'image/png');
    const got = await storage.get('rooms/abc-123/x.png');
    expect(got).not.toBeNull();
    expect(got!.contentType).toBe('image/png');
    expect(got!.size).toBe(5);
    expect(await bytesOf(got!)).toEqual(bytes);
    expect(await readFile(join(root, 'rooms', 'abc-123', 'x.png'))).toEqual(bytes);
  });

  it('answers null for a missing key, a missing directory, or a directory', async () => {
    expect(await storage.get('rooms/nothing/here.png')).toBeNull();
    await storage.put('rooms/r1/a.png', Buffer.from('a'), 'image/png');
    expect(await storage.get('rooms/r1')).toBeNull();
    expect(await storage.get('rooms/r1/a.png/deeper')).toBeNull();
  });

  it('replaces an object and leaves no temp files behind', async () => {
    await storage.put('k/v.gif', Buffer.from('first'), 'image/gif');
    await storage.put('k/v.gif', Buffer.from('second!'), 'image/webp');
    const got = await storage.get('k/v.gif');
    expect(await bytesOf(got!)).toEqual(Buffer.from('second!'));
    expect(got!.contentType).toBe('image/webp');
    expect(got!.size).toBe(7);
    expect(await filesUnder(root)).toEqual(['k/.v.gif.meta.json', 'k/v.gif']);
  });

  it('deletes an object and its metadata; deleting twice is fine', async () => {
    await storage.put('k/v.jpg', Buffer.from('x'), 'image/jpeg');
    await storage.delete('k/v.jpg');
    await storage.delete('k/v.jpg');
    expect(await storage.get('k/v.jpg')).toBeNull();
    expect(await filesUnder(root)).toEqual([]);
  });

  it('serves application/octet-stream when the metadata is gone', async () => {
    await storage.put('k/v.jpg', Buffer.from('x'), 'image/jpeg');
    await rm(join(root, 'k', '.v.jpg.meta.json'));
    const got = (await storage.get('k/v.jpg'))!;
    expect(got.contentType).toBe('application/octet-stream');
    expect(await bytesOf(got)).toEqual(Buffer.from('x'));
  });

  it.each([
    '',
    '/etc/passwd',
    '../outside.png',
    'rooms/../../outside.png',
    'rooms/..',
    'rooms/./x.png',
    'rooms//x.png',
    'rooms/x.png/',
    '.hidden',
    'rooms/.x.png.meta.json',
    'rooms\\..\\x.png',
    'rooms/x\0.png',
    'rooms/x y.png',
    'rooms/%2e%2e/x.png',
    'C:/x.png',
    'a'.repeat(129),
  ])('refuses the key %j and touches nothing outside the root', async (key) => {
    await expect(storage.put(key, Buffer.from('evil'), 'text/html')).rejects.toThrow(/invalid storage key/);
    await expect(storage.get(key)).rejects.toThrow(/invalid storage key/);
    await expect(storage.delete(key)).rejects.toThrow(/invalid storage key/);
    expect(await readdir(base)).toEqual([]);
  });

  it('does not follow a key out of the root even when the root is reached through a symlink', async () => {
    const real = join(base, 'real');
    await mkdir(real);
    await symlink(real, join(base, 'link'));
    const viaLink = new LocalDirectoryStorage(join(base, 'link'));
    await viaLink.put('rooms/r/a.png', Buffer.from('ok'), 'image/png');
    expect(await bytesOf((await viaLink.get('rooms/r/a.png'))!)).toEqual(Buffer.from('ok'));
    await writeFile(join(base, 'secret.txt'), 'secret');
    await expect(viaLink.get('../secret.txt')).rejects.toThrow(/invalid storage key/);
  });
});
