/**
 * One realtime connection of the page, over STOMP (raw WebSocket `/stomp`, or SockJS `/ws`) or Socket.IO. It keeps
 * the wanted subscriptions and "entered" rooms itself and restores them on every (re)connect, then tells listeners,
 * which fetch what they missed. Nothing here is created per connect that is not torn down on disconnect.
 */
import { Client, ReconnectionTimeMode, type IMessage, type StompSubscription } from '@stomp/stompjs';
import SockJS from 'sockjs-client';
import { io, type Socket } from 'socket.io-client';
import { unescapeHeader } from './logic.ts';
import type { ChatMessage, PresenceEvent, ReadEvent, TypingEvent } from './types.ts';

export type TransportKind = 'stomp' | 'sockjs' | 'socketio';
export const TRANSPORTS: readonly TransportKind[] = ['stomp', 'sockjs', 'socketio'];
export type ConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'closed';

export interface RoomHandlers {
  message?(m: ChatMessage): void;
  read?(e: ReadEvent): void;
  typing?(e: TypingEvent): void;
  presence?(e: PresenceEvent): void;
}

interface Watch {
  handlers: RoomHandlers;
  /** Users whose presence is wanted (STOMP needs one subscription per user; Socket.IO pushes them on enter). */
  presenceOf: string[];
  entered: boolean;
}

export interface Realtime {
  readonly state: ConnectionState;
  start(): void;
  stop(): Promise<void>;
  /** Called with every state change; `detail` explains errors. */
  onState(cb: (state: ConnectionState, detail?: string) => void): void;
  /** Called after every connect, once subscriptions and presence are restored (first connect included). */
  onConnected(cb: (reconnect: boolean) => void): void;
  watch(code: string, handlers: RoomHandlers, options?: { presenceOf?: string[]; enter?: boolean }): void;
  unwatch(code: string): void;
  ping(code: string): void;
  send(code: string, message: { messageId: string; content: string }): Promise<void>;
  read(code: string, sequenceId: number): void;
  typing(code: string, typing: boolean): void;
}

const SEND_TIMEOUT_MS = 10_000;

abstract class BaseRealtime implements Realtime {
  state: ConnectionState = 'closed';
  protected readonly watches = new Map<string, Watch>();
  private readonly stateListeners: ((s: ConnectionState, d?: string) => void)[] = [];
  private readonly connectListeners: ((reconnect: boolean) => void)[] = [];
  private connectedBefore = false;

  abstract start(): void;
  abstract stop(): Promise<void>;
  abstract ping(code: string): void;
  abstract send(code: string, message: { messageId: string; content: string }): Promise<void>;
  abstract read(code: string, sequenceId: number): void;
  abstract typing(code: string, typing: boolean): void;
  protected abstract attach(code: string, watch: Watch): void;
  protected abstract detach(code: string, watch: Watch): void;

  onState(cb: (s: ConnectionState, d?: string) => void) {
    this.stateListeners.push(cb);
  }
  onConnected(cb: (reconnect: boolean) => void) {
    this.connectListeners.push(cb);
  }
  protected setState(state: ConnectionState, detail?: string) {
    this.state = state;
    for (const cb of this.stateListeners) cb(state, detail);
  }
  /** Restore every watch on the new connection, then let listeners catch up. */
  protected connected() {
    for (const [code, w] of this.watches) this.attach(code, w);
    this.setState('connected');
    const reconnect = this.connectedBefore;
    this.connectedBefore = true;
    for (const cb of this.connectListeners) cb(reconnect);
  }
  watch(code: string, handlers: RoomHandlers, options: { presenceOf?: string[]; enter?: boolean } = {}) {
    const old = this.watches.get(code);
    if (old && this.state === 'connected') this.detach(code, old);
    const w: Watch = { handlers, presenceOf: options.presenceOf ?? [], entered: options.enter ?? false };
    this.watches.set(code, w);
    if (this.state === 'connected') this.attach(code, w);
  }
  unwatch(code: string) {
    const w = this.watches.get(code);
    if (!w) return;
    this.watches.delete(code);
    if (this.state === 'connected') this.detach(code, w);
  }
}

/** STOMP 1.2 with receipts; `sockjs` selects the SockJS endpoint instead of the raw WebSocket one. */
class StompRealtime extends BaseRealtime {
  private readonly client: Client;
  private readonly subs = new Map<string, StompSubscription[]>();
  private readonly pending = new Map<string, { resolve: () => void; reject: (e: Error) => void; timer: ReturnType<typeof setTimeout> }>();
  private receiptSeq = 0;

  constructor(baseUrl: string, token: string, sockjs: boolean) {
    super();
    const wsUrl = baseUrl.replace(/^http/, 'ws') + '/stomp';
    this.client = new Client({
      webSocketFactory: () => (sockjs ? new SockJS(`${baseUrl}/ws`) : new WebSocket(wsUrl, ['v12.stomp', 'v11.stomp', 'v10.stomp'])),
      connectHeaders: { Authorization: `Bearer ${token}` },
      // First retry after 500 ms, doubling up to 8 s: a restarted server is found quickly, a dead one is not hammered.
      reconnectDelay: 500,
      maxReconnectDelay: 8_000,
      reconnectTimeMode: ReconnectionTimeMode.EXPONENTIAL,
      heartbeatIncoming: 10_000,
      heartbeatOutgoing: 10_000,
      onConnect: () => {
        if (this.state === 'closed') return;
        this.subs.clear();
        this.connected();
      },
      onStompError: (frame) => {
        // Frames of a connection we already gave up on (stop() raced with the server's answer) change nothing.
        if (this.state === 'closed') return;
        const rid = frame.headers['receipt-id'];
        const message = unescapeHeader(frame.headers.message ?? 'server error');
        if (rid) this.settle(rid, new Error(message));
        this.setState('reconnecting', message);
      },
      onWebSocketClose: () => {
        this.failPending('connection lost before the server confirmed');
        if (this.state !== 'closed') this.setState('reconnecting');
      },
    });
  }

  start() {
    this.setState('connecting');
    this.client.activate();
  }
  async stop() {
    this.setState('closed');
    this.failPending('connection closed');
    await this.client.deactivate();
  }

  protected attach(code: string, w: Watch) {
    const json = (cb?: (body: never) => void) => (m: IMessage) => cb?.(JSON.parse(m.body) as never);
    const list = [this.client.subscribe(`/topic/chat/rooms/${code}`, json(w.handlers.message))];
    if (w.handlers.read) list.push(this.client.subscribe(`/topic/chat/rooms/${code}/read`, json(w.handlers.read)));
    if (w.handlers.typing) list.push(this.client.subscribe(`/topic/chat/rooms/${code}/typing`, json(w.handlers.typing)));
    for (const user of w.presenceOf) list.push(this.client.subscribe(`/topic/presence/${code}/${user}`, json(w.handlers.presence)));
    this.subs.set(code, list);
    // Presence after the subscriptions, so the answer to our arrival (who is online) is not missed.
    if (w.entered) this.publish(`/app/presence/${code}`, {});
  }
  protected detach(code: string) {
    for (const s of this.subs.get(code) ?? []) s.unsubscribe();
    this.subs.delete(code);
  }

  ping(code: string) {
    if (this.client.connected) this.publish(`/app/presence/ping/${code}`, {});
  }
  read(code: string, sequenceId: number) {
    if (this.client.connected) this.publish(`/app/chat/rooms/${code}/read`, { sequenceId });
  }
  typing(code: string, typing: boolean) {
    if (this.client.connected) this.publish(`/app/chat/rooms/${code}/typing`, { typing });
  }
  send(code: string, message: { messageId: string; content: string }): Promise<void> {
    if (!this.client.connected) return Promise.reject(new Error('not connected'));
    const receipt = `r-${++this.receiptSeq}`;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => this.settle(receipt, new Error('the server did not confirm in time')), SEND_TIMEOUT_MS);
      this.pending.set(receipt, { resolve, reject, timer });
      this.client.watchForReceipt(receipt, () => this.settle(receipt));
      this.client.publish({ destination: `/app/chat/rooms/${code}/messages`, body: JSON.stringify({ ...message, messageType: 'TEXT' }), headers: { receipt } });
    });
  }

  private publish(destination: string, body: unknown) {
    this.client.publish({ destination, body: JSON.stringify(body) });
  }
  private settle(receipt: string, error?: Error) {
    const p = this.pending.get(receipt);
    if (!p) return;
    this.pending.delete(receipt);
    clearTimeout(p.timer);
    if (error) p.reject(error);
    else p.resolve();
  }
  private failPending(reason: string) {
    for (const id of [...this.pending.keys()]) this.settle(id, new Error(reason));
  }
}

type Ack = { ok: true; sequenceId?: number } | { ok: false; error: { code: string; message: string } };

class SocketIoRealtime extends BaseRealtime {
  private readonly socket: Socket;

  constructor(baseUrl: string, token: string) {
    super();
    this.socket = io(baseUrl, {
      auth: { token },
      transports: ['websocket'],
      autoConnect: false,
      reconnectionDelay: 500,
      reconnectionDelayMax: 8_000,
    });
    this.socket.on('connect', () => {
      if (this.state !== 'closed') this.connected();
    });
    this.socket.on('disconnect', () => {
      if (this.state !== 'closed') this.setState('reconnecting');
    });
    this.socket.on('connect_error', (err: Error) => {
      if (this.state !== 'closed') this.setState('reconnecting', err.message);
    });
    const route = <E extends { roomCode: string }>(pick: (h: RoomHandlers) => ((e: E) => void) | undefined) => (e: E) => {
      const w = this.watches.get(e.roomCode);
      if (w) pick(w.handlers)?.(e);
    };
    this.socket.on('message', route<ChatMessage & { roomCode: string }>((h) => h.message));
    this.socket.on('read', route<ReadEvent & { roomCode: string }>((h) => h.read));
    this.socket.on('typing', route<TypingEvent & { roomCode: string }>((h) => h.typing));
    this.socket.on('presence', route<PresenceEvent & { roomCode: string }>((h) => h.presence));
  }

  start() {
    this.setState('connecting');
    this.socket.connect();
  }
  async stop() {
    this.setState('closed');
    this.socket.disconnect();
  }
  protected attach(code: string, w: Watch) {
    // room:enter also subscribes and pushes the other participants' presence.
    this.socket.emit(w.entered ? 'room:enter' : 'room:subscribe', { roomCode: code });
  }
  protected detach() {
    // Socket.IO has no unsubscribe event: events of unwatched rooms are dropped by `route`.
  }
  ping(code: string) {
    if (this.socket.connected) this.socket.emit('presence:ping', { roomCode: code });
  }
  read(code: string, sequenceId: number) {
    if (this.socket.connected) this.socket.emit('room:read', { roomCode: code, sequenceId });
  }
  typing(code: string, typing: boolean) {
    if (this.socket.connected) this.socket.emit('typing', { roomCode: code, typing });
  }
  send(code: string, message: { messageId: string; content: string }): Promise<void> {
    if (!this.socket.connected) return Promise.reject(new Error('not connected'));
    return new Promise<void>((resolve, reject) => {
      this.socket.timeout(SEND_TIMEOUT_MS).emit('message:send', { roomCode: code, ...message, messageType: 'TEXT' }, (err: Error | null, ack: Ack) => {
        if (err) return reject(new Error('the server did not confirm in time'));
        if (ack.ok) resolve();
        else reject(new Error(ack.error.message));
      });
    });
  }
}

export function createRealtime(kind: TransportKind, baseUrl: string, token: string): Realtime {
  return kind === 'socketio' ? new SocketIoRealtime(baseUrl, token) : new StompRealtime(baseUrl, token, kind === 'sockjs');
}
