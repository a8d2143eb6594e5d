import type { Server } from 'node:http';
import sockjs from 'sockjs';
import { ChatError } from '../domain/errors.ts';
import { StompSession, type SessionHandlers, type SessionOptions } from '../stomp/session.ts';

/**
 * SockJS endpoint `/ws` with STOMP inside, so the original frontend (`@stomp/stompjs` + `sockjs-client`)
 * connects unchanged: websocket, xhr-streaming and xhr-polling transports, SockJS's own heart-beat frames.
 * The STOMP session is exactly the raw-WebSocket one; only the wire differs. Browsers cannot set headers on
 * SockJS either, so the token may come in STOMP CONNECT (`Authorization`/`passcode`) or as `access_token` in the
 * endpoint URL.
 */
export class SockJsTransport {
  readonly sessions = new Set<StompSession>();
  private readonly server: sockjs.Server;

  constructor(handlers: SessionHandlers, options: Partial<SessionOptions> = {}) {
    this.server = sockjs.createServer({
      prefix: '/ws',
      log: () => undefined,
      heartbeat_delay: 25_000,
      disconnect_delay: 5_000,
      // The client library is not loaded from a CDN: SockJS's iframe transports are not offered.
      sockjs_url: 'about:blank',
    });
    this.server.on('connection', (conn) => {
      if (!conn) return; // sockjs emits a null connection for a session it could not set up
      const token = new URL(conn.url ?? '/', 'http://localhost').searchParams.get('access_token') ?? undefined;
      const session = new StompSession(
        {
          send: (data) => void conn.write(data),
          close: () => void conn.close('1000', 'closed'),
        },
        handlers,
        options,
        token,
      );
      this.sessions.add(session);
      conn.on('data', (data: string) => session.onData(data));
      conn.on('close', () => {
        this.sessions.delete(session);
        session.onClose();
      });
    });
  }

  attach(server: Server): void {
    this.server.installHandlers(server);
  }

  async drain(): Promise<void> {
    for (const session of this.sessions) session.fail(new ChatError('UNAVAILABLE', 503, 'server shutting down, reconnect'));
    await new Promise((r) => setTimeout(r, 100));
  }
}
