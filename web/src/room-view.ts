/**
 * One open room: history (newest page, older pages by `before=` on scroll), realtime messages merged by sequence,
 * read markers, partner presence, typing, text and image sends, and catch-up (`after=`) after every reconnect or
 * a gap in pushed sequences. Owns its own connection and ping timer; `close()` releases both.
 */
import { ApiError, type Api } from './api.ts';
import { byId, el, show } from './dom.ts';
import {
  afterPage,
  applyRead,
  catchUpCursor,
  formatBytes,
  formatClock,
  formatDay,
  hasGap,
  imageProblem,
  initialPager,
  mergeMessages,
  newMessageId,
  nextPageQuery,
  pageEnd,
  roomTitle,
  unreadMarker,
  type PagerState,
} from './logic.ts';
import { createRealtime, type ConnectionState, type Realtime, type TransportKind } from './realtime.ts';
import type { ChatMessage, ChatRoomSummary, Identity, PresenceEvent, TypingEvent } from './types.ts';

const PAGE_SIZE = 30;
const CATCH_UP_SIZE = 100;
/**
 * The server keeps presence for CHAT_PRESENCE_TTL_MS (180 s by default); a ping every 60 s keeps it alive.
 * `?ping=<ms>` (at least 500) shortens it, so tests can count pings across reconnects.
 */
const PING_MS = Math.max(500, Number(new URLSearchParams(location.search).get('ping')) || 60_000);
const TYPING_SEND_EVERY_MS = 2_500;
const TYPING_IDLE_MS = 3_000;
const TYPING_SHOW_MS = 6_000;
const MAX_IMAGE_BYTES = 10 * 1024 * 1024;

interface Pending {
  messageId: string;
  content: string;
  status: 'sending' | 'failed';
  error?: string;
}

export interface RoomViewDeps {
  code: string;
  me: Identity;
  api: Api;
  transport: TransportKind;
  summary: ChatRoomSummary | undefined;
  onState(state: ConnectionState, detail?: string): void;
  onEntered(): void;
  onMessage(message: ChatMessage): void;
}

export class RoomView {
  readonly code: string;
  private readonly deps: RoomViewDeps;
  private readonly conn: Realtime;
  private summary: ChatRoomSummary | undefined;
  private messages: ChatMessage[] = [];
  private pending: Pending[] = [];
  private pager: PagerState = initialPager;
  private initial: Promise<void> | null = null;
  private catchingUp: Promise<void> | null = null;
  private catchUpAgain = false;
  /** End of the last history or catch-up page: everything up to it is held (see catchUpCursor). */
  private synced: number | null = null;
  private pingTimer: ReturnType<typeof setInterval> | null = null;
  private readonly typers = new Map<string, ReturnType<typeof setTimeout>>();
  private typingSentAt = 0;
  private typingActive = false;
  private typingIdle: ReturnType<typeof setTimeout> | null = null;
  private readonly images = new Map<string, Promise<string>>();
  private selectedImage: { file: File; url: string } | null = null;
  private uploading = false;
  private closed = false;
  private failed = false;
  private readonly abort = new AbortController();
  private presenceSubscribed: string[] = [];
  private readonly rendered = new Map<string, HTMLElement>();

  constructor(deps: RoomViewDeps) {
    this.deps = deps;
    this.code = deps.code;
    this.summary = deps.summary;
    this.conn = createRealtime(deps.transport, location.origin, deps.me.token);
  }

  open() {
    this.renderHeader();
    byId('messages').replaceChildren();
    byId('room-error').textContent = '';
    byId('typing').textContent = '';
    byId<HTMLTextAreaElement>('message-input').value = '';
    this.setPresence('offline');
    this.clearSelectedImage();

    this.conn.onState((state, detail) => {
      this.deps.onState(state, detail);
      this.renderComposer();
    });
    this.conn.onConnected(() => {
      this.deps.onEntered();
      void this.catchUp();
    });
    this.watch();
    this.conn.start();
    // One ping timer per open room, never per connect: reconnects cannot multiply it.
    this.pingTimer = setInterval(() => this.conn.ping(this.code), PING_MS);
    this.initial = this.loadOlder();
    this.bindControls();
    this.renderComposer();
  }

  /** A room that cannot be used (not a participant, unknown): say so and stop trying, no reconnect loop. */
  private fail(message: string) {
    byId('room-error').textContent = message;
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.pingTimer = null;
    this.pager = { ...this.pager, hasMore: false };
    show(byId('history-more'), false);
    byId('history-status').textContent = '';
    for (const id of ['send-button', 'image-send']) byId<HTMLButtonElement>(id).disabled = true;
    byId<HTMLTextAreaElement>('message-input').disabled = true;
    byId<HTMLInputElement>('image-input').disabled = true;
    this.failed = true;
    void this.conn.stop();
  }

  async close() {
    this.closed = true;
    this.abort.abort();
    if (this.pingTimer) clearInterval(this.pingTimer);
    if (this.typingIdle) clearTimeout(this.typingIdle);
    for (const t of this.typers.values()) clearTimeout(t);
    this.clearSelectedImage();
    for (const p of this.images.values()) void p.then((url) => URL.revokeObjectURL(url), () => undefined);
    await this.conn.stop();
  }

  /** New list data for this room (participants, partner name) may arrive after the room was opened. */
  updateSummary(summary: ChatRoomSummary | undefined) {
    if (!summary || this.closed) return;
    this.summary = summary;
    this.renderHeader();
    this.watchNewPartners();
    this.render();
  }

  private partnerIds(): string[] {
    const ids = this.summary?.participants.map((p) => p.userId) ?? [];
    if (this.summary?.chatPartnerId) ids.push(this.summary.chatPartnerId);
    // Senders are participants too (covers a list that does not describe the room's participants).
    for (const m of this.messages) ids.push(m.senderId);
    return [...new Set(ids)].filter((id) => id !== this.deps.me.userId).sort();
  }

  /** Participants for the "not read by N" markers: the list's participants, else at least the two of a 1:1 room. */
  private participantCount(): number {
    const ids = new Set(this.summary?.participants.map((p) => p.userId) ?? []);
    ids.add(this.deps.me.userId);
    if (this.summary?.chatPartnerId) ids.add(this.summary.chatPartnerId);
    for (const m of this.messages) ids.add(m.senderId);
    return Math.max(2, ids.size);
  }

  private watch() {
    this.presenceSubscribed = this.partnerIds();
    this.conn.watch(
      this.code,
      {
        message: (m) => this.onPush(m),
        read: (e) => {
          this.messages = applyRead(this.messages, e);
          this.render();
        },
        typing: (e) => this.onTyping(e),
        presence: (e) => this.onPresence(e),
      },
      { presenceOf: this.presenceSubscribed, enter: true },
    );
  }

  /** Presence subscriptions follow the participants known so far (re-entering also asks who is online). */
  private watchNewPartners() {
    if (this.partnerIds().join(',') !== this.presenceSubscribed.join(',')) this.watch();
  }

  private onPush(m: ChatMessage) {
    // A message ends its sender's typing.
    if (this.typers.has(m.senderId)) this.onTyping({ userId: m.senderId, typing: false });
    this.add([m]);
    this.deps.onMessage(m);
    if (hasGap(this.messages, this.synced)) void this.catchUp();
  }

  private add(incoming: ChatMessage[]) {
    if (!incoming.length) return;
    const stick = this.nearBottom();
    this.messages = mergeMessages(this.messages, incoming);
    const confirmed = new Set(incoming.map((m) => m.messageId));
    this.pending = this.pending.filter((p) => !confirmed.has(p.messageId));
    this.watchNewPartners();
    this.render();
    if (stick) this.scrollToBottom();
  }

  /**
   * Fetches what is missing after the contiguous run held (after the first history page is in). Asked again while
   * running (a new hole, a reconnect), it runs once more: the running fetch may already be past the new hole.
   */
  private catchUp(): Promise<void> {
    if (this.catchingUp) {
      this.catchUpAgain = true;
      return this.catchingUp;
    }
    this.catchingUp = (async () => {
      try {
        await this.initial;
        do {
          this.catchUpAgain = false;
          await this.fetchMissing();
        } while (this.catchUpAgain && !this.closed);
        byId('room-error').textContent = '';
      } catch (err) {
        if (!this.closed) byId('room-error').textContent = `Could not fetch new messages: ${(err as Error).message}`;
      } finally {
        this.catchingUp = null;
      }
    })();
    return this.catchingUp;
  }

  /** Everything after the catch-up cursor, page by page (ascending). */
  private async fetchMissing(): Promise<void> {
    for (;;) {
      const after = catchUpCursor(this.messages, this.synced);
      const page = await this.deps.api.history(this.code, { size: CATCH_UP_SIZE, after });
      if (this.closed) return;
      this.synced = pageEnd(page.data, after);
      this.add(page.data);
      if (!page.hasNext || page.data.length === 0) return;
    }
  }

  /** The next older page; keeps the viewport on the same message while content grows above it. */
  private async loadOlder(): Promise<void> {
    const query = nextPageQuery(this.pager, PAGE_SIZE);
    if (!query) return;
    this.pager = { ...this.pager, loading: true };
    this.renderHistoryStatus();
    const scroller = byId('scroller');
    const first = this.messages.length === 0;
    const fromBottom = scroller.scrollHeight - scroller.scrollTop;
    try {
      const page = await this.deps.api.history(this.code, query);
      if (this.closed) return;
      this.pager = afterPage(this.pager, page.data, page.hasNext);
      // The newest page lists everything up to its end; older pages end below it.
      if (query.before === undefined) this.synced = pageEnd(page.data, this.synced ?? 0);
      this.messages = mergeMessages(this.messages, page.data);
      this.watchNewPartners();
      this.render();
      if (first) this.scrollToBottom();
      else scroller.scrollTop = scroller.scrollHeight - fromBottom;
      // Fill the viewport: a short first page leaves nothing to scroll, so no scroll would ever ask for more.
      if (this.pager.hasMore && scroller.scrollHeight <= scroller.clientHeight) void this.loadOlder();
    } catch (err) {
      this.pager = { ...this.pager, loading: false };
      this.renderHistoryStatus();
      if (err instanceof ApiError && (err.status === 403 || err.status === 404)) {
        return this.fail(err.status === 403 ? 'You are not a participant of this chat.' : 'This chat does not exist.');
      }
      if (!this.closed) byId('room-error').textContent = `Could not load messages: ${(err as Error).message}`;
    }
    show(byId('history-more'), this.pager.hasMore);
  }

  private bindControls() {
    const { signal } = this.abort;
    const scroller = byId('scroller');
    scroller.addEventListener('scroll', () => {
      if (scroller.scrollTop < 60) void this.loadOlder();
    }, { signal });
    byId('history-more').addEventListener('click', () => void this.loadOlder(), { signal });
    const input = byId<HTMLTextAreaElement>('message-input');
    byId<HTMLFormElement>('composer').addEventListener('submit', (e) => {
      e.preventDefault();
      this.sendText();
    }, { signal });
    input.addEventListener('keydown', (e) => {
      // Enter sends, Shift+Enter is a newline; never while an IME composition is open.
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        this.sendText();
      }
    }, { signal });
    input.addEventListener('input', () => this.onInput(), { signal });
    input.addEventListener('blur', () => this.stopTyping(), { signal });
    byId<HTMLInputElement>('image-input').addEventListener('change', (e) => {
      const target = e.target as HTMLInputElement;
      const file = target.files?.[0];
      target.value = '';
      if (file) this.selectImage(file);
    }, { signal });
    byId('image-send').addEventListener('click', () => void this.sendImage(), { signal });
    byId('image-cancel').addEventListener('click', () => this.clearSelectedImage(), { signal });
  }

  /**
   * Typing frames count against the server's per-connection SEND rate (a frame over it closes the connection), so
   * "typing" goes out at most every TYPING_SEND_EVERY_MS however many messages are sent, and a sent message does
   * not send "stopped": the partner's page clears the indicator when the message arrives.
   */
  private onInput() {
    const now = Date.now();
    const text = byId<HTMLTextAreaElement>('message-input').value;
    if (!text.trim()) return this.stopTyping();
    if (!this.typingActive || now - this.typingSentAt > TYPING_SEND_EVERY_MS) {
      this.typingActive = true;
      this.typingSentAt = now;
      this.conn.typing(this.code, true);
    }
    if (this.typingIdle) clearTimeout(this.typingIdle);
    this.typingIdle = setTimeout(() => this.stopTyping(), TYPING_IDLE_MS);
  }

  private stopTyping() {
    if (this.typingIdle) clearTimeout(this.typingIdle);
    this.typingIdle = null;
    if (this.typingActive) {
      this.typingActive = false;
      this.conn.typing(this.code, false);
    }
  }

  private onTyping(e: TypingEvent) {
    if (e.userId === this.deps.me.userId) return;
    const old = this.typers.get(e.userId);
    if (old) clearTimeout(old);
    this.typers.delete(e.userId);
    // A lost "stopped" event must not leave the indicator on forever.
    if (e.typing) this.typers.set(e.userId, setTimeout(() => this.onTyping({ userId: e.userId, typing: false }), TYPING_SHOW_MS));
    const names = [...this.typers.keys()].map((id) => this.nameOf(id));
    byId('typing').textContent = names.length ? `${names.join(', ')} ${names.length > 1 ? 'are' : 'is'} typing…` : '';
  }

  private onPresence(e: PresenceEvent) {
    if (e.userId === this.deps.me.userId) return;
    // Socket.IO pushes the presence of every participant on room:enter, including ones not known here yet.
    const partners = this.partnerIds();
    if (partners.length && !partners.includes(e.userId)) return;
    this.setPresence(e.status);
  }

  private setPresence(status: 'online' | 'offline') {
    const dot = byId('presence');
    dot.dataset.status = status;
    dot.setAttribute('aria-label', status);
    dot.title = status === 'online' ? 'In this chat now' : 'Not in this chat';
  }

  private nameOf(userId: string): string {
    const p = this.summary?.participants.find((x) => x.userId === userId);
    if (p) return p.name;
    if (this.summary?.chatPartnerId === userId && this.summary.chatPartnerName) return this.summary.chatPartnerName;
    return [...this.messages].reverse().find((m) => m.senderId === userId)?.senderName ?? `user ${userId}`;
  }

  private sendText() {
    const input = byId<HTMLTextAreaElement>('message-input');
    const content = input.value;
    if (!content.trim()) return;
    if (this.conn.state !== 'connected') {
      byId('room-error').textContent = 'Not connected: your message was kept in the box, send it again once reconnected.';
      return;
    }
    input.value = '';
    // Still "typing" for the throttle: the next message within the window sends no new typing frame.
    if (this.typingIdle) clearTimeout(this.typingIdle);
    this.typingIdle = setTimeout(() => this.stopTyping(), TYPING_IDLE_MS);
    const p: Pending = { messageId: newMessageId(), content, status: 'sending' };
    this.pending.push(p);
    this.render();
    this.scrollToBottom();
    void this.deliver(p);
  }

  /** A resend reuses the messageId, which the server treats as the same message. */
  private async deliver(p: Pending) {
    p.status = 'sending';
    this.render();
    try {
      await this.conn.send(this.code, { messageId: p.messageId, content: p.content });
      byId('room-error').textContent = '';
    } catch (err) {
      if (!this.pending.includes(p)) return;
      p.status = 'failed';
      p.error = (err as Error).message;
      this.render();
    }
  }

  private selectImage(file: File) {
    const error = byId('room-error');
    const problem = imageProblem(file, MAX_IMAGE_BYTES);
    if (problem) {
      error.textContent = problem;
      return;
    }
    error.textContent = '';
    this.clearSelectedImage();
    const url = URL.createObjectURL(file);
    this.selectedImage = { file, url };
    byId<HTMLImageElement>('image-preview-img').src = url;
    byId('image-preview-name').textContent = `${file.name} (${formatBytes(file.size)})`;
    show(byId('image-preview'), true);
  }

  private clearSelectedImage() {
    if (this.uploading) return;
    if (this.selectedImage) URL.revokeObjectURL(this.selectedImage.url);
    this.selectedImage = null;
    byId<HTMLImageElement>('image-preview-img').removeAttribute('src');
    show(byId('upload-progress'), false);
    show(byId('image-preview'), false);
  }

  private async sendImage() {
    const selected = this.selectedImage;
    if (!selected || this.uploading) return;
    this.uploading = true;
    const progress = byId<HTMLProgressElement>('upload-progress');
    progress.value = 0;
    show(progress, true);
    this.renderComposer();
    try {
      await this.deps.api.uploadImage(this.code, selected.file, newMessageId(), (f) => {
        if (!this.closed) progress.value = f;
      });
      this.uploading = false;
      // The user may have moved to another room meanwhile: the shared composer is that room's now.
      if (this.closed) return URL.revokeObjectURL(selected.url);
      this.clearSelectedImage();
      byId('room-error').textContent = '';
    } catch (err) {
      this.uploading = false;
      if (this.closed) return URL.revokeObjectURL(selected.url);
      show(progress, false);
      byId('room-error').textContent = `The image was not sent: ${(err as Error).message}`;
    }
    this.renderComposer();
  }

  private renderHeader() {
    const title = roomTitle(this.summary, this.deps.me.userId, this.code);
    byId('room-title').textContent = title;
    byId('room-view').setAttribute('aria-label', `Chat with ${title}`);
  }

  private renderComposer() {
    if (this.failed) return;
    const connected = this.conn.state === 'connected';
    byId<HTMLTextAreaElement>('message-input').disabled = false;
    byId<HTMLInputElement>('image-input').disabled = false;
    byId<HTMLButtonElement>('send-button').disabled = !connected;
    byId<HTMLButtonElement>('image-send').disabled = this.uploading;
    byId<HTMLButtonElement>('image-cancel').disabled = this.uploading;
  }

  private renderHistoryStatus() {
    const text = this.failed
      ? ''
      : this.pager.loading
      ? 'Loading messages…'
      : this.pager.hasMore
        ? ''
        : this.messages.length
          ? 'Beginning of the conversation'
          : 'No messages yet. Say hello!';
    byId('history-status').textContent = text;
  }

  /**
   * Keyed rendering: each message keeps its element (an image is fetched and decoded once, and the live region
   * does not announce old messages again); only what changed is touched, in place.
   */
  private render() {
    if (this.closed) return;
    this.renderHistoryStatus();
    const participants = this.participantCount();
    const me = this.deps.me.userId;
    const desired: HTMLElement[] = [];
    const keep = new Set<string>();
    const cached = (key: string, build: () => HTMLElement) => {
      keep.add(key);
      let node = this.rendered.get(key);
      if (!node) this.rendered.set(key, (node = build()));
      return node;
    };
    let day = '';
    let previousSender = '';
    for (const m of this.messages) {
      const d = formatDay(m.createdAt);
      if (d && d !== day) {
        day = d;
        previousSender = '';
        desired.push(cached(`d:${d}`, () => el('li', { class: 'day', text: d, attrs: { role: 'separator', 'aria-label': d } })));
      }
      const mine = m.senderId === me;
      // The sender's name heads each run of their messages.
      const showWho = !mine && previousSender !== m.senderId;
      previousSender = m.senderId;
      const node = cached(`m:${m.sequenceId}`, () =>
        el('li', { class: `msg${mine ? ' mine' : ''}`, attrs: { 'data-seq': String(m.sequenceId), 'data-sender': m.senderId, 'aria-label': `${mine ? 'You' : m.senderName}: ${m.messageType === 'IMAGE' ? 'photo' : m.content}` } }, [
          el('div', { class: 'content' }, [m.messageType === 'IMAGE' && m.fileUrl ? this.imageBubble(m) : el('div', { class: 'bubble', text: m.content })]),
          el('div', { class: 'meta' }),
        ]),
      );
      this.updateMessage(node, m, unreadMarker(participants, m.readBy), showWho);
      desired.push(node);
    }
    for (const p of this.pending) desired.push(cached(`p:${p.messageId}:${p.status}`, () => this.pendingItem(p)));

    const list = byId('messages');
    let cursor = list.firstElementChild;
    for (const node of desired) {
      if (node === cursor) cursor = cursor.nextElementSibling;
      else list.insertBefore(node, cursor);
    }
    while (cursor) {
      const next = cursor.nextElementSibling;
      cursor.remove();
      cursor = next;
    }
    for (const key of this.rendered.keys()) if (!keep.has(key)) this.rendered.delete(key);
  }

  /** The parts of a message that change after it arrived: the sender label and the read marker. */
  private updateMessage(node: HTMLElement, m: ChatMessage, unread: number, showWho: boolean) {
    const content = node.firstElementChild as HTMLElement;
    const who = content.querySelector('.sender');
    if (showWho && !who) content.prepend(el('span', { class: 'sender', text: m.senderName }));
    if (!showWho && who) who.remove();
    if (node.dataset.unread === String(unread)) return;
    node.dataset.unread = String(unread);
    const meta = node.lastElementChild as HTMLElement;
    meta.replaceChildren(
      ...(unread > 0 ? [el('span', { class: 'marker', text: String(unread), attrs: { 'aria-label': `not read by ${unread}`, title: `Not read by ${unread}` } })] : []),
      el('time', { text: formatClock(m.createdAt), attrs: { datetime: m.createdAt } }),
    );
  }

  private pendingItem(p: Pending): HTMLElement {
    const controls =
      p.status === 'failed'
        ? el('span', {}, [
            el('span', { class: 'error', text: `Not sent: ${p.error ?? ''} ` }),
            this.button('Retry', () => void this.deliver(p)),
            this.button('Discard', () => {
              this.pending = this.pending.filter((x) => x !== p);
              this.render();
            }),
          ])
        : el('span', { text: 'Sending…' });
    return el('li', { class: `msg mine ${p.status === 'failed' ? 'failed' : 'pending'}`, attrs: { 'data-pending': p.messageId } }, [
      el('div', { class: 'bubble', text: p.content }),
      el('div', { class: 'meta' }, [controls]),
    ]);
  }

  private button(label: string, onClick: () => void): HTMLButtonElement {
    const b = el('button', { text: label, attrs: { type: 'button' } });
    b.addEventListener('click', onClick);
    return b;
  }

  private imageBubble(m: ChatMessage): HTMLElement {
    const img = el('img', { attrs: { alt: `Photo from ${m.senderName}` } });
    const url = m.fileUrl!;
    let loading = this.images.get(url);
    if (!loading) {
      loading = this.deps.api.imageUrl(url);
      this.images.set(url, loading);
      loading.catch(() => this.images.delete(url));
    }
    const stick = this.nearBottom();
    loading.then(
      (src) => {
        img.src = src;
        if (stick) img.addEventListener('load', () => this.scrollToBottom(), { once: true });
      },
      () => img.replaceWith(el('div', { class: 'bubble error', text: 'Image unavailable' })),
    );
    return el('div', { class: 'photo' }, [img]);
  }

  private nearBottom(): boolean {
    const s = byId('scroller');
    return s.scrollHeight - s.scrollTop - s.clientHeight < 80;
  }

  private scrollToBottom() {
    const s = byId('scroller');
    s.scrollTop = s.scrollHeight;
  }
}
