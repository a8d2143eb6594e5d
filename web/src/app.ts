/**
 * The web chat client: sign-in, room list (live), room view. Two realtime connections per signed-in page: the
 * lobby (subscribed to every listed room, for previews, order and badges) and one per open room (presence, reads,
 * typing). Presence is per connection on the server, so closing the room's connection is what tells the partner
 * "offline" when the user leaves the room while staying on the page.
 */
import { Api, ApiError, devToken } from './api.ts';
import { byId, show } from './dom.ts';
import { decodeClaims } from './logic.ts';
import { createRealtime, TRANSPORTS, type ConnectionState, type Realtime, type TransportKind } from './realtime.ts';
import { RoomList } from './room-list.ts';
import { RoomView } from './room-view.ts';
import type { Identity } from './types.ts';

const SESSION_KEY = 'sunsu.session';
const NOTICE_KEY = 'sunsu.notice';

interface Session {
  token: string;
  transport: TransportKind;
}

/** Per tab (sessionStorage): two windows of one browser can be two different users. */
function loadSession(): Session | null {
  try {
    const raw = sessionStorage.getItem(SESSION_KEY);
    if (!raw) return null;
    const s = JSON.parse(raw) as Session;
    const claims = decodeClaims(s.token);
    if (!claims?.sub || (claims.exp !== undefined && claims.exp * 1000 < Date.now())) return null;
    return { token: s.token, transport: TRANSPORTS.includes(s.transport) ? s.transport : 'stomp' };
  } catch {
    return null;
  }
}

function identityOf(token: string): Identity | null {
  const c = decodeClaims(token);
  if (!c?.sub) return null;
  return { token, userId: c.sub, name: c.name ?? `user ${c.sub}`, role: c.role ?? '' };
}

/** `?transport=sockjs` in the URL overrides the sign-in choice (handy for testing every transport). */
function transportOverride(): TransportKind | null {
  const t = new URLSearchParams(location.search).get('transport');
  return t && (TRANSPORTS as readonly string[]).includes(t) ? (t as TransportKind) : null;
}

class ChatApp {
  private readonly me: Identity;
  private readonly api: Api;
  private readonly transport: TransportKind;
  private readonly lobby: Realtime;
  private readonly list: RoomList;
  private room: RoomView | null = null;
  private lobbyState: ConnectionState = 'connecting';
  private roomState: ConnectionState | null = null;
  private lastDetail = '';
  onSignedOut: ((message: string) => void) | null = null;

  constructor(me: Identity, transport: TransportKind) {
    this.me = me;
    this.transport = transport;
    this.api = new Api(me.token);
    this.lobby = createRealtime(transport, location.origin, me.token);
    this.list = new RoomList({
      me,
      api: this.api,
      lobby: this.lobby,
      activeRoom: () => this.room?.code ?? null,
      onRoomsChanged: () => this.room?.updateSummary(this.list.summary(this.room.code)),
    });
    this.lobby.onState((state, detail) => {
      this.lobbyState = state;
      if (detail) this.lastDetail = detail;
      this.renderConnection();
      // An expired or revoked token will not get better by reconnecting: back to sign-in, saying why.
      if (detail?.startsWith('authentication failed')) this.onSignedOut?.(`Your sign-in is no longer valid (${detail}). Sign in again.`);
    });
  }

  start() {
    byId('whoami-name').textContent = `${this.me.name} (#${this.me.userId}${this.me.role ? `, ${this.me.role}` : ''})`;
    show(byId('whoami'), true);
    show(byId('signin-view'), false);
    show(byId('chat-view'), true);
    byId('room-close').addEventListener('click', () => {
      location.hash = '';
    });
    byId<HTMLFormElement>('new-chat-form').addEventListener('submit', (e) => {
      e.preventDefault();
      void this.startChat();
    });
    window.addEventListener('hashchange', () => this.route());
    this.list.start();
    this.lobby.start();
    this.route();
    this.renderConnection();
  }

  async stop() {
    await this.room?.close();
    await this.lobby.stop();
  }

  private async startChat() {
    const input = byId<HTMLInputElement>('new-chat-partner');
    const error = byId('rooms-error');
    error.textContent = '';
    const partnerId = input.value.trim();
    try {
      const { chatRoomCode } = await this.api.createRoom(partnerId);
      input.value = '';
      await this.list.refresh();
      location.hash = `#/rooms/${chatRoomCode}`;
    } catch (err) {
      error.textContent = `Could not start the chat: ${(err as Error).message}`;
    }
  }

  private route() {
    const m = /^#\/rooms\/([0-9A-Fa-f-]{8,64})$/.exec(location.hash);
    const code = m?.[1] ?? null;
    if (this.room && this.room.code === code) return;
    if (this.room) {
      void this.room.close();
      this.room = null;
      this.roomState = null;
    }
    byId('chat-view').classList.toggle('in-room', code !== null);
    show(byId('room-view'), code !== null);
    show(byId('room-empty'), code === null);
    if (code) {
      this.room = new RoomView({
        code,
        me: this.me,
        api: this.api,
        transport: this.transport,
        summary: this.list.summary(code),
        onState: (state, detail) => {
          // A room given up on (closed) no longer counts for the page's connection status.
          this.roomState = state === 'closed' ? null : state;
          if (detail) this.lastDetail = detail;
          this.renderConnection();
        },
        onEntered: () => this.list.markRead(code),
        onMessage: (msg) => this.list.applyMessage(code, msg),
      });
      this.room.open();
    }
    this.list.setActive(code);
  }

  private renderConnection() {
    const node = byId('connection');
    const states = [this.lobbyState, ...(this.roomState ? [this.roomState] : [])];
    const ok = states.every((s) => s === 'connected');
    const text = ok ? 'Connected' : states.includes('reconnecting') ? `Reconnecting…${this.lastDetail ? ` (${this.lastDetail})` : ''}` : 'Connecting…';
    node.textContent = text;
    node.dataset.state = ok ? 'connected' : 'disconnected';
    show(node, true);
    if (ok) this.lastDetail = '';
  }
}

function showSignIn(message = '') {
  show(byId('chat-view'), false);
  show(byId('whoami'), false);
  show(byId('connection'), false);
  show(byId('signin-view'), true);
  byId('signin-error').textContent = message;
  const override = transportOverride();
  if (override) byId<HTMLSelectElement>('signin-transport').value = override;
}

function main() {
  let app: ChatApp | null = null;
  const begin = (session: Session) => {
    const me = identityOf(session.token);
    if (!me) return showSignIn('That token cannot be read.');
    const started = new ChatApp(me, transportOverride() ?? session.transport);
    started.onSignedOut = (message) => {
      started.onSignedOut = null;
      sessionStorage.removeItem(SESSION_KEY);
      // A fresh page load drops every listener and socket of the old session; the reason survives it.
      sessionStorage.setItem(NOTICE_KEY, message);
      void started.stop().finally(() => location.reload());
    };
    app = started;
    started.start();
  };

  byId<HTMLFormElement>('signin-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const form = new FormData(e.target as HTMLFormElement);
    const transport = String(form.get('transport') ?? 'stomp') as TransportKind;
    const pasted = String(form.get('token') ?? '').trim();
    const error = byId('signin-error');
    error.textContent = '';
    const userId = String(form.get('userId') ?? '').trim();
    const name = String(form.get('name') ?? '').trim();
    if (!pasted && (!/^[1-9][0-9]{0,18}$/.test(userId) || !name)) {
      error.textContent = 'Enter a user id (a positive number) and a name, or paste a token.';
      return;
    }
    const issue = pasted ? Promise.resolve(pasted) : devToken(userId, name, String(form.get('role') ?? 'couple'));
    issue
      .then((token) => {
        if (!identityOf(token)) throw new ApiError(400, 'BAD_REQUEST', 'That token cannot be read.');
        const session = { token, transport };
        sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
        begin(session);
      })
      .catch((err: Error) => {
        error.textContent = `Sign-in failed: ${err.message}`;
      });
  });
  byId('sign-out').addEventListener('click', () => {
    sessionStorage.removeItem(SESSION_KEY);
    void app?.stop().finally(() => location.reload());
  });
  // Leaving the page closes the sockets at once, so partners see "offline" without waiting for a timeout.
  window.addEventListener('pagehide', () => void app?.stop());

  const session = loadSession();
  const notice = sessionStorage.getItem(NOTICE_KEY) ?? '';
  sessionStorage.removeItem(NOTICE_KEY);
  if (session) begin(session);
  else showSignIn(notice);
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', main);
else main();
