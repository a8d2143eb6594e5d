/**
 * The room list: `GET /api/chat/rooms` pages (cursor), kept live by the lobby connection's subscription to every
 * listed room: a pushed message updates the preview, moves the room up and bumps its badge unless it is the open
 * room. After a reconnect, and every REFRESH_MS (rooms created by others appear), the list is fetched again.
 */
import type { Api } from './api.ts';
import { byId, el, show } from './dom.ts';
import { applyRoomMessage, formatListTime, previewText, roomTitle, sortRooms } from './logic.ts';
import type { Realtime } from './realtime.ts';
import type { ChatMessage, ChatRoomSummary, Identity } from './types.ts';

const PAGE_SIZE = 20;
const REFRESH_MS = 15_000;

export interface RoomListDeps {
  me: Identity;
  api: Api;
  lobby: Realtime;
  activeRoom(): string | null;
  onRoomsChanged(): void;
}

export class RoomList {
  private readonly deps: RoomListDeps;
  private rooms: ChatRoomSummary[] = [];
  private cursor: string | number | null = null;
  private hasNext = false;
  private pages = 1;
  private refreshing: Promise<void> | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;

  constructor(deps: RoomListDeps) {
    this.deps = deps;
  }

  start() {
    this.deps.lobby.onConnected((reconnect) => {
      if (reconnect) void this.refresh();
    });
    byId('rooms-more').addEventListener('click', () => void this.loadMore());
    this.timer = setInterval(() => void this.refresh(), REFRESH_MS);
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible') void this.refresh();
    });
    void this.refresh();
  }

  stop() {
    if (this.timer) clearInterval(this.timer);
  }

  summary(code: string): ChatRoomSummary | undefined {
    return this.rooms.find((r) => r.chatRoomCode === code);
  }

  setActive(_code: string | null) {
    this.render();
  }

  /** Entering a room reads everything in it. */
  markRead(code: string) {
    this.rooms = this.rooms.map((r) => (r.chatRoomCode === code ? { ...r, unreadCount: 0 } : r));
    this.render();
  }

  applyMessage(code: string, message: ChatMessage) {
    if (!this.summary(code)) {
      void this.refresh();
      return;
    }
    this.rooms = applyRoomMessage(this.rooms, code, message, this.deps.me.userId, this.deps.activeRoom() === code);
    this.render();
    this.deps.onRoomsChanged();
  }

  /** Re-fetches as many pages as are shown; concurrent calls share one fetch. */
  refresh(): Promise<void> {
    this.refreshing ??= this.fetchAll().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  private async fetchAll() {
    const error = byId('rooms-error');
    try {
      let rooms: ChatRoomSummary[] = [];
      let cursor: string | number | null = null;
      let hasNext = false;
      for (let i = 0; i < this.pages; i++) {
        const page = await this.deps.api.rooms(PAGE_SIZE, cursor);
        rooms = rooms.concat(page.data);
        cursor = page.nextCursor ?? null;
        hasNext = page.hasNext;
        if (!hasNext) break;
      }
      this.set(rooms, cursor, hasNext);
      error.textContent = '';
    } catch (err) {
      error.textContent = `Could not load your chats: ${(err as Error).message}`;
    }
  }

  private async loadMore() {
    if (!this.hasNext) return;
    try {
      const page = await this.deps.api.rooms(PAGE_SIZE, this.cursor);
      this.pages += 1;
      const known = new Set(this.rooms.map((r) => r.chatRoomCode));
      this.set([...this.rooms, ...page.data.filter((r) => !known.has(r.chatRoomCode))], page.nextCursor ?? null, page.hasNext);
    } catch (err) {
      byId('rooms-error').textContent = `Could not load more chats: ${(err as Error).message}`;
    }
  }

  private set(rooms: ChatRoomSummary[], cursor: string | number | null, hasNext: boolean) {
    const before = new Set(this.rooms.map((r) => r.chatRoomCode));
    const viewing = this.deps.activeRoom();
    // The open room is read as it arrives; a refresh that raced with that must not resurrect its badge.
    this.rooms = sortRooms(rooms.map((r) => (r.chatRoomCode === viewing ? { ...r, unreadCount: 0 } : r)));
    this.cursor = cursor;
    this.hasNext = hasNext;
    const now = new Set(this.rooms.map((r) => r.chatRoomCode));
    for (const code of before) if (!now.has(code)) this.deps.lobby.unwatch(code);
    for (const code of now) if (!before.has(code)) this.deps.lobby.watch(code, { message: (m) => this.applyMessage(code, m) });
    this.render();
    this.deps.onRoomsChanged();
  }

  private render() {
    const list = byId('room-list');
    const active = this.deps.activeRoom();
    const items = this.rooms.map((r) => {
      const title = roomTitle(r, this.deps.me.userId, r.chatRoomCode);
      const avatar = el('span', { class: 'avatar', attrs: { 'aria-hidden': 'true' } });
      // Only http(s) avatars, set as a CSS url() through the style API (never parsed as markup).
      if (r.avatarUrl && /^https?:\/\//.test(r.avatarUrl)) avatar.style.backgroundImage = `url(${JSON.stringify(r.avatarUrl)})`;
      const badge = r.unreadCount > 0 ? el('span', { class: 'badge', text: String(r.unreadCount), attrs: { 'aria-label': `${r.unreadCount} unread` } }) : null;
      const link = el(
        'a',
        { attrs: { href: `#/rooms/${r.chatRoomCode}`, 'aria-current': r.chatRoomCode === active ? 'page' : undefined, 'data-room': r.chatRoomCode } },
        [
          avatar,
          el('span', { class: 'room-name', text: title }),
          el('time', { class: 'room-time', text: formatListTime(r.lastMessageAt), attrs: r.lastMessageAt ? { datetime: r.lastMessageAt } : {} }),
          el('span', { class: 'room-preview', text: previewText(r) }),
          badge,
        ],
      );
      return el('li', { attrs: { 'aria-label': title } }, [link]);
    });
    list.replaceChildren(...items);
    if (!items.length) list.append(el('li', { class: 'hint', text: 'No chats yet.' }));
    show(byId('rooms-more'), this.hasNext);
    const total = this.rooms.reduce((sum, r) => sum + r.unreadCount, 0);
    const badge = byId('total-unread');
    badge.textContent = String(total);
    badge.setAttribute('aria-label', `${total} unread in all chats`);
    show(badge, total > 0);
    document.title = total > 0 ? `(${total}) Sunsu Chat` : 'Sunsu Chat';
  }
}
