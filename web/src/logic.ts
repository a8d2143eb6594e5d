/**
 * Pure client logic (no DOM, no network), unit-tested in logic.test.ts: message merge and de-duplication, cursor
 * paging state, unread markers, read events, room-list ordering and time formatting.
 */
import type { ChatMessage, ChatRoomSummary, ReadEvent } from './types.ts';

/**
 * History pages, realtime pushes and catch-up fetches overlap; the room's sequence number is the identity of a
 * message, so the result is sorted by it and holds each sequence once. A later copy of the same sequence only
 * adds readers (read events may have arrived in between), it never loses any.
 */
export function mergeMessages(current: readonly ChatMessage[], incoming: readonly ChatMessage[]): ChatMessage[] {
  const bySeq = new Map<number, ChatMessage>();
  for (const m of current) bySeq.set(m.sequenceId, m);
  for (const m of incoming) {
    const known = bySeq.get(m.sequenceId);
    bySeq.set(m.sequenceId, known ? { ...m, readBy: union(known.readBy, m.readBy) } : m);
  }
  return [...bySeq.values()].sort((a, b) => a.sequenceId - b.sequenceId);
}

function union(a: readonly string[], b: readonly string[]): string[] {
  return [...new Set([...a, ...b])].sort();
}

/** A read event moves one participant's last-read up: every message at or below it now lists that reader. */
export function applyRead(messages: readonly ChatMessage[], event: ReadEvent): ChatMessage[] {
  return messages.map((m) =>
    m.sequenceId <= event.lastReadSequenceId && !m.readBy.includes(event.userId) ? { ...m, readBy: union(m.readBy, [event.userId]) } : m,
  );
}

/** How many participants have not read the message yet: the "1" marker (0 = no marker). Never assumes two people. */
export function unreadMarker(participantCount: number, readBy: readonly string[]): number {
  return Math.max(0, participantCount - new Set(readBy).size);
}

/** Highest sequence held, 0 for none. */
export function lastSequence(messages: readonly ChatMessage[]): number {
  return messages.at(-1)?.sequenceId ?? 0;
}

/**
 * The `after=` cursor of a catch-up: the highest sequence up to which nothing is missing. `synced` is the end of the
 * last history or catch-up page (the server listed everything up to it, so numbers it never persisted are not gaps);
 * null before any page arrived, when the oldest message held starts the run. Pushes extend the run only while
 * consecutive: a push beyond a missed one must not move the cursor past the hole, or the hole is never fetched.
 */
export function catchUpCursor(messages: readonly ChatMessage[], synced: number | null): number {
  let cursor = synced ?? (messages.length ? messages[0]!.sequenceId - 1 : 0);
  for (const m of messages) {
    if (m.sequenceId > cursor + 1) break;
    cursor = Math.max(cursor, m.sequenceId);
  }
  return cursor;
}

/** Messages held beyond the contiguous run mean pushes were missed: the hole has to be fetched from history. */
export function hasGap(messages: readonly ChatMessage[], synced: number | null): boolean {
  return catchUpCursor(messages, synced) < lastSequence(messages);
}

/** Highest sequence in a page (pages come newest first or oldest first), `floor` when it is empty or older. */
export function pageEnd(page: readonly ChatMessage[], floor: number): number {
  return page.reduce((max, m) => Math.max(max, m.sequenceId), floor);
}

/** Backward paging state of one room's history (`before=` cursor, exclusive). */
export interface PagerState {
  oldest: number | null;
  hasMore: boolean;
  loading: boolean;
}

export const initialPager: PagerState = { oldest: null, hasMore: true, loading: false };

/** The query of the next older page, or null when nothing is left or a fetch is already running. */
export function nextPageQuery(state: PagerState, size: number): { size: number; before?: number } | null {
  if (!state.hasMore || state.loading) return null;
  return state.oldest === null ? { size } : { size, before: state.oldest };
}

/** State after a page (newest first, as the server answers) arrived. */
export function afterPage(state: PagerState, page: readonly ChatMessage[], hasNext: boolean): PagerState {
  const oldestInPage = page.reduce<number | null>((min, m) => (min === null || m.sequenceId < min ? m.sequenceId : min), null);
  const oldest = oldestInPage === null ? state.oldest : state.oldest === null ? oldestInPage : Math.min(state.oldest, oldestInPage);
  return { oldest, hasMore: hasNext && page.length > 0, loading: false };
}

/** Rooms ordered by latest message, newest first; rooms without messages last, stable by code. */
export function sortRooms(rooms: readonly ChatRoomSummary[]): ChatRoomSummary[] {
  const time = (r: ChatRoomSummary) => (r.lastMessageAt ? Date.parse(r.lastMessageAt) : 0);
  return [...rooms].sort((a, b) => time(b) - time(a) || b.lastSequenceId - a.lastSequenceId || a.chatRoomCode.localeCompare(b.chatRoomCode));
}

/**
 * A message pushed for a listed room: it becomes the room's preview and moves the room up; it counts as unread
 * unless I sent it or I am looking at that room. Pushes already reflected (sequence not above the last) change nothing.
 */
export function applyRoomMessage(rooms: readonly ChatRoomSummary[], code: string, message: ChatMessage, me: string, viewing: boolean): ChatRoomSummary[] {
  const updated = rooms.map((r) => {
    if (r.chatRoomCode !== code || message.sequenceId <= r.lastSequenceId) return r;
    const unread = viewing ? 0 : message.senderId === me ? r.unreadCount : r.unreadCount + 1;
    return {
      ...r,
      lastMessage: message.content,
      lastMessageType: message.messageType,
      lastMessageAt: message.createdAt,
      lastSequenceId: message.sequenceId,
      unreadCount: unread,
    };
  });
  return sortRooms(updated);
}

/** Text of a room's preview line: images are previewed as such, never by their file name. */
export function previewText(room: Pick<ChatRoomSummary, 'lastMessage' | 'lastMessageType'>): string {
  if (room.lastMessageType === 'IMAGE') return 'Photo';
  return room.lastMessage ? room.lastMessage : 'No messages yet';
}

const pad = (n: number) => String(n).padStart(2, '0');

/** Message time: `HH:mm` in the viewer's time zone. */
export function formatClock(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : `${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** Room-list time: `HH:mm` today, `Yesterday`, otherwise `YYYY.MM.DD` (local time zone). */
export function formatListTime(iso: string | null, now: Date = new Date()): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  if (sameDay(d, now)) return formatClock(iso);
  const yesterday = new Date(now.getFullYear(), now.getMonth(), now.getDate() - 1);
  if (sameDay(d, yesterday)) return 'Yesterday';
  return `${d.getFullYear()}.${pad(d.getMonth() + 1)}.${pad(d.getDate())}`;
}

/** Day separator label of the room view, e.g. `2026-11-29 (Sun)`; empty for an invalid time. */
export function formatDay(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} (${days[d.getDay()]})`;
}

export function sameDay(a: Date, b: Date): boolean {
  return a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();
}

/** Client-side check of an image before upload (the server decides by the bytes; this only saves a round trip). */
export const IMAGE_MIME_TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'];
export function imageProblem(file: { type: string; size: number }, maxBytes: number): string | null {
  if (!IMAGE_MIME_TYPES.includes(file.type)) return 'Only PNG, JPEG, GIF or WebP images can be sent.';
  if (file.size > maxBytes) return `The image is too large (${formatBytes(file.size)}; the limit is ${formatBytes(maxBytes)}).`;
  if (file.size === 0) return 'The image file is empty.';
  return null;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/** Claims of a JWT for display only (the server verifies the token; the page never trusts these for security). */
export function decodeClaims(token: string): { sub?: string; name?: string; role?: string; exp?: number } | null {
  const part = token.split('.')[1];
  if (!part) return null;
  try {
    const json = atob(part.replace(/-/g, '+').replace(/_/g, '/'));
    const bytes = Uint8Array.from(json, (c) => c.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes)) as { sub?: string; name?: string; role?: string; exp?: number };
  } catch {
    return null;
  }
}

/**
 * STOMP 1.2 header escaping (`\c` for ':' and so on). The server escapes ERROR frames also before CONNECTED, where
 * stompjs does not unescape them; undoing it here is harmless for headers already unescaped (no backslashes left).
 */
export function unescapeHeader(value: string): string {
  return value.replace(/\\([\\cnr])/g, (_m, c: string) => (c === 'c' ? ':' : c === 'n' ? '\n' : c === 'r' ? '\r' : '\\'));
}

/** Display name of a room: the partner in 1:1 rooms, the other participants in groups. */
export function roomTitle(room: ChatRoomSummary | undefined, me: string, code: string): string {
  if (room?.chatPartnerName) return room.chatPartnerName;
  const others = room?.participants.filter((p) => p.userId !== me).map((p) => p.name) ?? [];
  return others.length ? others.join(', ') : `Room ${code.slice(0, 8)}`;
}

/**
 * A random RFC 4122 version-4 id for client message ids. `crypto.randomUUID` exists only in secure contexts
 * (HTTPS or localhost): a page served over plain HTTP on an internal host name would otherwise fail to send.
 * `getRandomValues` is available everywhere, so the id is built from it when needed.
 */
export function newMessageId(random: Pick<Crypto, 'getRandomValues'> & { randomUUID?: () => string } = globalThis.crypto): string {
  if (typeof random.randomUUID === 'function') return random.randomUUID();
  const b = random.getRandomValues(new Uint8Array(16));
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const hex = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
