import { signToken, type Role } from '@sunsu/auth';

/** The development secret chat-server uses when CHAT_JWT_SECRET is not set (documented in the README). */
export const DEV_JWT_SECRET = process.env.CHAT_JWT_SECRET ?? 'sunsu-development-secret-change-me-0123456789';

export const tokenFor = (userId: string, name = `user ${userId}`, role: Role = 'couple', ttlSeconds = 3600) =>
  signToken(DEV_JWT_SECRET, { userId, name, role }, ttlSeconds);

/** Random positive int64-ish user ids so test runs never share rooms. */
export const randomUserId = () => String(1_000_000 + Math.floor(Math.random() * 9_000_000_000));

export async function api<T = unknown>(baseUrl: string, token: string | undefined, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(baseUrl + path, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
}

export async function createDirectRoom(baseUrl: string, token: string, plannerId: string): Promise<string> {
  const res = await api<{ data: { chatRoomCode: string } }>(baseUrl, token, 'POST', '/api/chat/rooms', { plannerId });
  if (res.status !== 200) throw new Error(`create room failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.data.chatRoomCode;
}

export interface HistoryItem {
  messageId: string;
  senderId: string;
  content: string;
  sequenceId: number;
  readBy: string[];
}

/** Every message of a room after `after`, following the cursor page by page. */
export async function historyAfter(baseUrl: string, token: string, roomCode: string, after = 0): Promise<HistoryItem[]> {
  const out: HistoryItem[] = [];
  let cursor = after;
  for (;;) {
    const res = await api<{ data: HistoryItem[]; hasNext: boolean; nextCursor: number | null }>(baseUrl, token, 'GET', `/api/chat/messages/${roomCode}?after=${cursor}&size=100`);
    if (res.status !== 200) throw new Error(`history failed: ${res.status}`);
    out.push(...res.body.data);
    if (!res.body.hasNext || res.body.nextCursor === null) return out;
    cursor = res.body.nextCursor;
  }
}
