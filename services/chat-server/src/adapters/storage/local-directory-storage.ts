import { randomUUID } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { assertStorageKey, type ObjectStorage, type StoredObject } from './object-storage.ts';

const FALLBACK_CONTENT_TYPE = 'application/octet-stream';

/**
 * Objects as files under one root directory (the default storage; config `CHAT_UPLOAD_DIR`). Each object has a
 * sidecar `.<name>.meta.json` holding its content type; names starting with a dot can never be keys (see
 * `assertStorageKey`), so sidecars and temp files never collide with objects.
 */
export class LocalDirectoryStorage implements ObjectStorage {
  readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  /** Key → absolute path. Validation already forbids `..`; the prefix check is a second, independent guard. */
  private pathOf(key: string): string {
    assertStorageKey(key);
    const path = resolve(this.root, ...key.split('/'));
    if (!path.startsWith(this.root + sep)) throw new Error(`storage key escapes the root: ${key}`);
    return path;
  }

  async put(key: string, bytes: Buffer, contentType: string): Promise<void> {
    const path = this.pathOf(key);
    await mkdir(dirname(path), { recursive: true });
    // Metadata first: whoever can see the object can also see its content type.
    await writeAtomically(metaPathOf(path), JSON.stringify({ contentType }));
    await writeAtomically(path, bytes);
  }

  async get(key: string): Promise<StoredObject | null> {
    const path = this.pathOf(key);
    let handle: FileHandle;
    try {
      handle = await open(path, 'r');
    } catch (err) {
      if (isMissing(err)) return null;
      throw err;
    }
    try {
      const info = await handle.stat();
      if (!info.isFile()) {
        await handle.close();
        return null;
      }
      const contentType = await readContentType(metaPathOf(path));
      // Stream from the already-open handle: a concurrent delete cannot turn this into a half-read.
      return { body: handle.createReadStream(), contentType, size: info.size };
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    const path = this.pathOf(key);
    await rm(path, { force: true });
    await rm(metaPathOf(path), { force: true });
  }
}

const metaPathOf = (path: string) => join(dirname(path), `.${basename(path)}.meta.json`);

const isMissing = (err: unknown) => ['ENOENT', 'ENOTDIR', 'EISDIR'].includes((err as NodeJS.ErrnoException).code ?? '');

async function readContentType(metaPath: string): Promise<string> {
  try {
    const meta = JSON.parse(await readFile(metaPath, 'utf8')) as { contentType?: unknown };
    return typeof meta.contentType === 'string' ? meta.contentType : FALLBACK_CONTENT_TYPE;
  } catch {
    return FALLBACK_CONTENT_TYPE;
  }
}

/** Write a temp file next to the target, flush it, then rename: readers see the old file or the whole new one. */
async function writeAtomically(path: string, data: Buffer | string): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${randomUUID()}.tmp`);
  const handle = await open(tmp, 'wx', 0o644);
  try {
    await handle.writeFile(data);
    await handle.datasync();
  } catch (err) {
    await handle.close();
    await rm(tmp, { force: true });
    throw err;
  }
  await handle.close();
  try {
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}
