import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { ChatError } from '../domain/errors.ts';
import { StompSession, type SessionHandlers, type SessionOptions } from '../stomp/session.ts';
import { CLOSE_GRACE_MS } from '../delivery/outbound.ts';

const SUBPROTOCOLS = ['v12.stomp', 'v11.stomp', 'v10.stomp'];

export interface RawWebSocketOptions {
  /**
   * WebSocket ping interval. A connection that has not answered the previous ping is terminated, so a
   * half-open TCP connection is found even when the client negotiated `heart-beat:0,0`.
   */
  pingIntervalMs: number;
}

/**
 * Raw WebSocket endpoint `/stomp`. Subprotocol negotiation picks the highest offered STOMP version; a client
 * offering none is still accepted (STOMP's own `accept-version` decides). The token may also come as the
 * `access_token` query parameter, for browsers that cannot set headers on a WebSocket.
 */
export class RawWebSocketTransport {
  private readonly wss: WebSocketServer;
  readonly sessions = new Set<StompSession>();
  private readonly handlers: SessionHandlers;
  private readonly options: Partial<SessionOptions>;
  /** Sockets that answered (or were opened) since the last ping round. */
  private readonly alive = new WeakSet<WebSocket>();
  private readonly pingTimer: NodeJS.Timeout;

  constructor(handlers: SessionHandlers, options: Partial<SessionOptions> = {}, wsOptions: RawWebSocketOptions = { pingIntervalMs: 25_000 }) {
    this.handlers = handlers;
    this.options = options;
    // One timer for every socket (not one per connection).
    this.pingTimer = setInterval(() => this.pingRound(), wsOptions.pingIntervalMs);
    this.pingTimer.unref();
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: (options.maxFrameBytes ?? 64 * 1024) + 1024,
      perMessageDeflate: false,
      handleProtocols: (offered) => SUBPROTOCOLS.find((p) => offered.has(p)) ?? false,
    });
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.wss.handleUpgrade(req, socket, head, (ws) => this.attach(ws, req));
  }

  private attach(ws: WebSocket, req: IncomingMessage): void {
    const token = new URL(req.url ?? '/', 'http://localhost').searchParams.get('access_token') ?? undefined;
    this.alive.add(ws);
    ws.on('pong', () => this.alive.add(ws));
    const session = new StompSession(
      {
        name: 'stomp',
        send: (data) => {
          if (ws.readyState === ws.OPEN) ws.send(data);
        },
        close: (code = 1000, reason) => {
          ws.close(code, reason?.slice(0, 120));
          setTimeout(() => ws.terminate(), CLOSE_GRACE_MS).unref();
        },
        bufferedBytes: () => ws.bufferedAmount,
      },
      this.handlers,
      this.options,
      token,
    );
    this.sessions.add(session);
    ws.on('message', (data: Buffer) => session.onData(data));
    ws.on('close', () => {
      this.sessions.delete(session);
      session.onClose();
    });
    ws.on('error', () => ws.terminate());
  }

  private pingRound(): void {
    for (const ws of this.wss.clients) {
      if (!this.alive.has(ws)) {
        ws.terminate(); // no pong since the last round: the peer is gone
        continue;
      }
      this.alive.delete(ws);
      ws.ping();
    }
  }

  /** Graceful shutdown: tell every client (ERROR "server shutting down") so it reconnects elsewhere. */
  async drain(): Promise<void> {
    clearInterval(this.pingTimer);
    for (const session of this.sessions) session.fail(new ChatError('UNAVAILABLE', 503, 'server shutting down, reconnect'));
    await new Promise((r) => setTimeout(r, 100));
    for (const client of this.wss.clients) client.terminate();
    this.wss.close();
  }
}
