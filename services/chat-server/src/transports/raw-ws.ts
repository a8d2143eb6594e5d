import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { ChatError } from '../domain/errors.ts';
import { StompSession, type SessionHandlers, type SessionOptions } from '../stomp/session.ts';

const SUBPROTOCOLS = ['v12.stomp', 'v11.stomp', 'v10.stomp'];

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

  constructor(handlers: SessionHandlers, options: Partial<SessionOptions> = {}) {
    this.handlers = handlers;
    this.options = options;
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
    const session = new StompSession(
      {
        send: (data) => {
          if (ws.readyState === ws.OPEN) ws.send(data);
        },
        close: () => ws.close(1000),
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

  /** Graceful shutdown: tell every client (ERROR "server shutting down") so it reconnects elsewhere. */
  async drain(): Promise<void> {
    for (const session of this.sessions) session.fail(new ChatError('UNAVAILABLE', 503, 'server shutting down, reconnect'));
    await new Promise((r) => setTimeout(r, 100));
    for (const client of this.wss.clients) client.terminate();
    this.wss.close();
  }
}
