import type { Readable } from 'node:stream';

/** One stored object as read back: the bytes (buffered or streamed), their content type and length. */
export interface StoredObject {
  body: Buffer | Readable;
  contentType: string;
  size: number;
}

/**
 * Where uploaded files live. Keys are relative, `/`-separated paths such as `rooms/<code>/<uuid>.png`; adapters
 * (local directory today, an S3-compatible bucket later) map them to their own namespace.
 */
export interface ObjectStorage {
  /** Stores `bytes` under `key`, replacing any previous object; readers never see a partial object. */
  put(key: string, bytes: Buffer, contentType: string): Promise<void>;
  /** The object under `key`, or null when there is none. */
  get(key: string): Promise<StoredObject | null>;
  /** Removes the object under `key`; removing a missing object is not an error. */
  delete(key: string): Promise<void>;
}

// Each segment starts with a letter or digit, so `.`/`..`, hidden names and empty segments are impossible.
const KEY = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}(\/[A-Za-z0-9][A-Za-z0-9._-]{0,127}){0,7}$/;

/** Keys are validated the same way by every adapter, so one that works locally also works in a bucket. */
export function assertStorageKey(key: string): void {
  if (!KEY.test(key)) throw new Error(`invalid storage key ${JSON.stringify(key).slice(0, 200)}`);
}
