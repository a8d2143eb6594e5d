import { randomUUID } from 'node:crypto';
import type { Principal } from '@sunsu/auth';
import { HeartbeatMonitor, type HeartbeatParty } from './heartbeats.ts';
import { ChatError } from '../domain/errors.ts';
import { DEFAULT_INBOUND_LIMITS, InboundLimiter, type InboundLimits, type RequestKind } from '../limits/inbound.ts';
import { DEFAULT_OUTBOUND_LIMITS, outboundVerdict, type OutboundLimits, type SlowConsumerListener } from '../delivery/outbound.ts';
import {
  CLIENT_COMMANDS,
  encodeFrame,
  negotiateHeartBeat,
  negotiateVersion,
  parseHeartBeat,
  StompDecoder,
  StompProtocolError,
  type StompFrame,
  type StompVersion,
} from '@sunsu/stomp';

/** The wire under a session (raw WebSocket, SockJS). */
export interface SessionTransport {
  /** Transport label for metrics and logs. */
  readonly name: string;
  send(data: string): void;
  /** Close the wire (a peer that does not complete the close handshake is cut off shortly after). */
  close(code?: number, reason?: string): void;
  /** Bytes written but not yet taken by the peer: queued in the process and in the socket's write buffer. */
  bufferedBytes(): number;
}

/** WebSocket/SockJS close code for a client cut off as a slow consumer (application range 4000–4999). */
export const SLOW_CONSUMER_CLOSE_CODE = 4008;

/** What the session asks of the application; every method may throw a ChatError to reject the frame. */
export interface SessionHandlers {
  authenticate(token: string | undefined): Promise<Principal>;
  /** Check the destination and membership, and register the subscription for delivery. */
  subscribe(session: StompSession, subscriptionId: string, destination: string): Promise<void>;
  unsubscribe(session: StompSession, subscriptionId: string): Promise<void>;
  /** Handle a SEND; resolves when the platform accepted it (the RECEIPT is sent after). */
  send(session: StompSession, destination: string, body: string, headers: Record<string, string>): Promise<void>;
  closed(session: StompSession): void;
}

export interface SessionOptions {
  /** Server heart-beat offer [can send every ms, wants to receive every ms]. */
  heartBeat: [number, number];
  maxFrameBytes: number;
  /** Frames in flight, SEND and SUBSCRIBE rates, subscriptions held (the same policy as Socket.IO). */
  inbound: InboundLimits;
  /** Bytes that may wait for a client before it is disconnected as a slow consumer. */
  outbound: OutboundLimits;
  onSlowConsumer?: SlowConsumerListener;
  /** Close a socket that has not sent CONNECT within this time. */
  connectTimeoutMs: number;
  serverName: string;
  /** Shared heart-beat scheduler; each transport passes the process's one monitor. */
  heartbeats?: HeartbeatMonitor;
}

export const DEFAULT_SESSION_OPTIONS: SessionOptions = {
  heartBeat: [10_000, 10_000],
  maxFrameBytes: 64 * 1024,
  inbound: DEFAULT_INBOUND_LIMITS,
  outbound: DEFAULT_OUTBOUND_LIMITS,
  connectTimeoutMs: 10_000,
  serverName: 'sunsu-chat',
};

/**
 * One STOMP 1.2 (1.1, 1.0) connection: CONNECT/auth, SUBSCRIBE/UNSUBSCRIBE, SEND with RECEIPT after the
 * platform accepted it, heart-beats both ways with dead-peer detection, and an ERROR frame (with `message` and
 * `receipt-id`) followed by close for every rejected frame, as STOMP requires. Frames are handled strictly in
 * arrival order, so receipts come back in the order the client sent.
 */
export class StompSession {
  readonly id = randomUUID();
  principal: Principal | undefined;
  version: StompVersion = '1.2';
  private readonly transport: SessionTransport;
  private readonly handlers: SessionHandlers;
  private readonly options: SessionOptions;
  private readonly queryToken: string | undefined;
  private readonly decoder: StompDecoder;
  private readonly subscriptions = new Map<string, string>(); // id -> destination
  private queue: Promise<void> = Promise.resolve();
  private closed = false;
  private lastReceivedAt = Date.now();
  private lastSentAt = Date.now();
  private connectTimer: NodeJS.Timeout | undefined;
  private heartbeatParty: HeartbeatParty | undefined;
  private readonly monitor: HeartbeatMonitor;
  private readonly limiter: InboundLimiter;

  constructor(transport: SessionTransport, handlers: SessionHandlers, options: Partial<SessionOptions> = {}, queryToken?: string) {
    this.transport = transport;
    this.handlers = handlers;
    this.options = { ...DEFAULT_SESSION_OPTIONS, ...options };
    this.queryToken = queryToken;
    this.decoder = new StompDecoder({ maxFrameBytes: this.options.maxFrameBytes });
    this.limiter = new InboundLimiter(this.options.inbound);
    this.monitor = this.options.heartbeats ?? new HeartbeatMonitor();
    this.connectTimer = setTimeout(() => {
      if (!this.principal) this.fail(new StompProtocolError('no CONNECT frame received in time'));
    }, this.options.connectTimeoutMs);
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  /** Bytes from the wire. */
  onData(chunk: Buffer | string): void {
    if (this.closed) return;
    this.lastReceivedAt = Date.now();
    let items;
    try {
      items = this.decoder.push(chunk);
    } catch (err) {
      return this.fail(err);
    }
    for (const item of items) {
      if (item.type !== 'frame') continue;
      const receipt = item.frame.headers.receipt;
      // Limits are checked on arrival, not when the frame reaches the front of the queue: a flood is refused
      // at once instead of piling up behind slow I/O.
      const refused = this.limiter.admit(requestKind(item.frame.command));
      if (refused) return this.fail(refused, receipt);
      this.queue = this.queue
        .then(() => this.handle(item.frame))
        .catch((err) => this.fail(err, receipt))
        .finally(() => this.limiter.settled());
    }
  }

  /** The wire closed (client went away). */
  onClose(): void {
    if (this.closed) return;
    this.closed = true;
    this.stopTimers();
    this.handlers.closed(this);
  }

  /**
   * Push a MESSAGE frame to every subscription of this session on `destination`. An ephemeral push is dropped
   * when the client is behind; a push past the outbound budget disconnects the client as a slow consumer.
   */
  deliver(destination: string, body: string, ephemeral = false): void {
    if (this.closed) return;
    for (const [id, dest] of this.subscriptions) {
      if (dest !== destination) continue;
      const frame = encodeFrame(
        {
          command: 'MESSAGE',
          headers: { destination, subscription: id, 'message-id': randomUUID(), 'content-type': 'application/json' },
          body,
        },
        this.version,
      );
      const buffered = this.transport.bufferedBytes();
      const verdict = outboundVerdict(buffered, frame.length, ephemeral, this.options.outbound);
      if (verdict === 'drop') continue;
      if (verdict === 'slow-consumer') return this.slowConsumer(buffered);
      this.write(frame.toString('utf8'));
    }
  }

  /** Bytes queued for this client (for tests and diagnostics). */
  bufferedBytes(): number {
    return this.transport.bufferedBytes();
  }

  subscriptionDestinations(): string[] {
    return [...this.subscriptions.values()];
  }

  /** Close with an ERROR frame (used for shutdown too). */
  fail(err: unknown, receiptId?: string, closeCode?: number): void {
    if (this.closed) return;
    const message =
      err instanceof StompProtocolError || err instanceof ChatError ? err.message : 'internal error';
    const rid = err instanceof StompProtocolError ? (err.receiptId ?? receiptId) : receiptId;
    const code = err instanceof ChatError ? err.code : err instanceof StompProtocolError ? 'PROTOCOL_ERROR' : 'INTERNAL';
    this.write(
      encodeFrame(
        { command: 'ERROR', headers: { message, 'receipt-id': rid, 'content-type': 'text/plain', code }, body: message },
        this.version,
      ).toString('utf8'),
    );
    this.closed = true;
    this.stopTimers();
    // Give the ERROR frame a moment to flush before closing, as clients expect to read it.
    setTimeout(() => this.transport.close(closeCode, closeCode === undefined ? undefined : message), 50).unref();
    this.handlers.closed(this);
  }

  private slowConsumer(bufferedBytes: number): void {
    this.options.onSlowConsumer?.({ transport: this.transport.name, connectionId: this.id, userId: this.principal?.userId, bufferedBytes });
    this.fail(
      new ChatError('SLOW_CONSUMER', 503, `slow consumer: more than ${this.options.outbound.maxBufferedBytes} bytes waiting for the client; reconnect and catch up`),
      undefined,
      SLOW_CONSUMER_CLOSE_CODE,
    );
  }

  private write(data: string): void {
    this.lastSentAt = Date.now();
    this.transport.send(data);
  }

  private receipt(frame: StompFrame): void {
    const receipt = frame.headers.receipt;
    if (receipt !== undefined) this.write(encodeFrame({ command: 'RECEIPT', headers: { 'receipt-id': receipt } }, this.version).toString('utf8'));
  }

  private async handle(frame: StompFrame): Promise<void> {
    if (this.closed) return;
    if (!CLIENT_COMMANDS.has(frame.command)) throw new StompProtocolError(`unknown command ${frame.command}`, frame.headers.receipt);
    if (!this.principal) {
      if (frame.command !== 'CONNECT' && frame.command !== 'STOMP') throw new StompProtocolError('expected CONNECT', frame.headers.receipt);
      return this.connect(frame);
    }
    switch (frame.command) {
      case 'CONNECT':
      case 'STOMP':
        throw new StompProtocolError('already connected', frame.headers.receipt);
      case 'SUBSCRIBE': {
        const { id, destination } = frame.headers;
        if (!id || !destination) throw new StompProtocolError('SUBSCRIBE needs id and destination headers', frame.headers.receipt);
        if (this.subscriptions.has(id)) throw new StompProtocolError(`subscription id ${id} already in use`, frame.headers.receipt);
        this.limiter.checkSubscriptions(this.subscriptions.size, 1);
        await this.handlers.subscribe(this, id, destination);
        if (this.closed) return;
        this.subscriptions.set(id, destination);
        return this.receipt(frame);
      }
      case 'UNSUBSCRIBE': {
        const { id } = frame.headers;
        if (!id) throw new StompProtocolError('UNSUBSCRIBE needs an id header', frame.headers.receipt);
        this.subscriptions.delete(id);
        await this.handlers.unsubscribe(this, id);
        return this.receipt(frame);
      }
      case 'SEND': {
        const destination = frame.headers.destination;
        if (!destination) throw new StompProtocolError('SEND needs a destination header', frame.headers.receipt);
        if (destination.startsWith('/topic/')) throw new ChatError('FORBIDDEN', 403, 'clients may not SEND to /topic destinations');
        await this.handlers.send(this, destination, frame.body.toString('utf8'), frame.headers);
        return this.receipt(frame);
      }
      case 'DISCONNECT':
        this.receipt(frame);
        this.closed = true;
        this.stopTimers();
        setTimeout(() => this.transport.close(), 20).unref();
        this.handlers.closed(this);
        return;
      case 'ACK':
      case 'NACK':
        // Subscriptions are ack:auto; acknowledgements are accepted and have nothing to settle.
        return this.receipt(frame);
      default:
        throw new StompProtocolError(`${frame.command}: transactions are not supported`, frame.headers.receipt);
    }
  }

  private async connect(frame: StompFrame): Promise<void> {
    const version = negotiateVersion(frame.headers['accept-version']);
    if (!version) throw new StompProtocolError('supported STOMP versions: 1.2, 1.1, 1.0', frame.headers.receipt);
    this.version = version;
    this.decoder.version = version;
    const auth = frame.headers.Authorization ?? frame.headers.authorization;
    const bearer = auth ? /^Bearer\s+(\S+)$/i.exec(auth)?.[1] : undefined;
    const token = bearer ?? frame.headers.passcode ?? this.queryToken;
    try {
      this.principal = await this.handlers.authenticate(token);
    } catch (err) {
      throw new ChatError('UNAUTHENTICATED', 401, `authentication failed: ${(err as Error).message}`);
    }
    const heartBeat = negotiateHeartBeat(parseHeartBeat(frame.headers['heart-beat']), this.options.heartBeat);
    this.write(
      encodeFrame(
        {
          command: 'CONNECTED',
          headers: {
            version,
            'heart-beat': `${this.options.heartBeat[0]},${this.options.heartBeat[1]}`,
            server: this.options.serverName,
            session: this.id,
            'user-name': this.principal.userId,
          },
        },
        version,
      ).toString('utf8'),
    );
    clearTimeout(this.connectTimer);
    this.startHeartBeats(heartBeat.sendEveryMs, heartBeat.expectEveryMs);
  }

  private startHeartBeats(sendEveryMs: number, expectEveryMs: number): void {
    if (sendEveryMs === 0 && expectEveryMs === 0) return;
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const session = this;
    const party: HeartbeatParty = {
      get lastSentAt() {
        return session.lastSentAt;
      },
      get lastReceivedAt() {
        return session.lastReceivedAt;
      },
      sendEveryMs,
      expectEveryMs,
      beat: () => this.write('\n'),
      dead: (silentMs) => {
        this.fail(new StompProtocolError(`no heart-beat from client for ${silentMs} ms`));
        this.transport.close();
      },
    };
    this.heartbeatParty = party;
    this.monitor.add(party);
  }

  private stopTimers(): void {
    clearTimeout(this.connectTimer);
    if (this.heartbeatParty) this.monitor.remove(this.heartbeatParty);
  }
}

function requestKind(command: string): RequestKind {
  if (command === 'SEND') return 'send';
  if (command === 'SUBSCRIBE' || command === 'UNSUBSCRIBE') return 'subscribe';
  return 'other';
}
