/** REST calls of the page: bearer token on every call, `{code, message}` errors turned into ApiError. */
import type { ChatMessage, ChatRoomSummary, Page } from './types.ts';

export class ApiError extends Error {
  override name = 'ApiError';
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export class Api {
  readonly token: string;
  constructor(token: string) {
    this.token = token;
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(path, {
        method,
        headers: { authorization: `Bearer ${this.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch {
      throw new ApiError(0, 'NETWORK', 'The chat server cannot be reached.');
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = null;
    }
    if (!res.ok) {
      const err = (json ?? {}) as { code?: unknown; message?: unknown };
      throw new ApiError(res.status, typeof err.code === 'string' ? err.code : String(res.status), typeof err.message === 'string' ? err.message : res.statusText);
    }
    return json as T;
  }

  rooms(size: number, cursor?: string | number | null): Promise<Page<ChatRoomSummary>> {
    const q = new URLSearchParams({ size: String(size) });
    if (cursor !== undefined && cursor !== null) q.set('cursor', String(cursor));
    return this.request('GET', `/api/chat/rooms?${q}`);
  }

  history(code: string, query: { size: number; before?: number; after?: number }): Promise<Page<ChatMessage>> {
    const q = new URLSearchParams({ size: String(query.size) });
    if (query.before !== undefined) q.set('before', String(query.before));
    if (query.after !== undefined) q.set('after', String(query.after));
    return this.request('GET', `/api/chat/messages/${encodeURIComponent(code)}?${q}`);
  }

  async createRoom(partnerId: string): Promise<{ chatRoomCode: string; alreadyExists: boolean }> {
    return (await this.request<{ data: { chatRoomCode: string; alreadyExists: boolean } }>('POST', '/api/chat/rooms', { plannerId: partnerId })).data;
  }

  /** Multipart image message with upload progress (fetch cannot report upload progress; XHR can). */
  uploadImage(code: string, file: File, messageId: string, onProgress: (fraction: number) => void): Promise<{ sequenceId: number; fileUrl: string }> {
    return new Promise((resolve, reject) => {
      const form = new FormData();
      form.append('message', new Blob([JSON.stringify({ messageId, content: file.name, messageType: 'IMAGE' })], { type: 'application/json' }));
      form.append('image', file, file.name);
      const xhr = new XMLHttpRequest();
      xhr.open('POST', `/api/chat/messages/${encodeURIComponent(code)}/image`);
      xhr.setRequestHeader('authorization', `Bearer ${this.token}`);
      xhr.upload.onprogress = (e) => {
        if (e.lengthComputable) onProgress(e.loaded / e.total);
      };
      xhr.onerror = () => reject(new ApiError(0, 'NETWORK', 'The upload failed: the chat server cannot be reached.'));
      xhr.onload = () => {
        let json: { code?: unknown; message?: unknown; data?: { sequenceId: number; fileUrl: string } } = {};
        try {
          json = JSON.parse(xhr.responseText) as typeof json;
        } catch {
          json = {};
        }
        if (xhr.status >= 200 && xhr.status < 300 && json.data) return resolve(json.data);
        reject(new ApiError(xhr.status, typeof json.code === 'string' ? json.code : String(xhr.status), typeof json.message === 'string' ? json.message : `upload failed (${xhr.status})`));
      };
      xhr.send(form);
    });
  }

  /**
   * Image files are served to participants only and need the bearer token, which an `<img>` cannot send: the page
   * fetches the bytes with the header and shows them through a blob URL, so the token never appears in a URL
   * (server logs, history, Referer).
   */
  async imageUrl(fileUrl: string): Promise<string> {
    const res = await fetch(fileUrl, { headers: { authorization: `Bearer ${this.token}` } });
    if (!res.ok) throw new ApiError(res.status, String(res.status), `image unavailable (${res.status})`);
    return URL.createObjectURL(await res.blob());
  }
}

/** Development sign-in (`POST /dev/token`, off in production): the same JWTs the server verifies. */
export async function devToken(userId: string, name: string, role: string): Promise<string> {
  let res: Response;
  try {
    res = await fetch('/dev/token', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ userId, name, role }) });
  } catch {
    throw new ApiError(0, 'NETWORK', 'The chat server cannot be reached.');
  }
  const json = (await res.json().catch(() => ({}))) as { code?: string; message?: string; data?: { token: string } };
  if (res.status === 404) throw new ApiError(404, 'NOT_FOUND', 'Development sign-in is disabled on this server (production): paste a token instead.');
  if (!res.ok || !json.data) throw new ApiError(res.status, json.code ?? String(res.status), json.message ?? 'sign-in failed');
  return json.data.token;
}
