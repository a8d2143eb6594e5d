import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';
import sockjs from 'sockjs';
import { ChatError } from '../domain/errors.ts';
import { StompSession, type SessionHandlers, type SessionOptions } from '../stomp/session.ts';
import { CLOSE_GRACE_MS } from '../delivery/outbound.ts';

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
          name: 'sockjs',
          send: (data) => void conn.write(data),
          close: (code = 1000, reason = 'closed') => {
            const socket = sockJsSocket(conn);
            conn.close(String(code), reason);
            // A peer that stopped reading keeps its backlog in the socket: cut it once the close had its chance.
            if (socket) setTimeout(() => socket.writableLength > 0 && socket.destroy(), CLOSE_GRACE_MS).unref();
          },
          bufferedBytes: () => sockJsBufferedBytes(conn),
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

/** The parts of sockjs-node's session that hold outgoing data (not in its type definitions). */
interface SockJsInternals {
  _session?: { send_buffer?: string[]; recv?: { thingy?: Duplex | null } | null };
}

function sockJsSocket(conn: sockjs.Connection): Duplex | undefined {
  return (conn as unknown as SockJsInternals)._session?.recv?.thingy ?? undefined;
}

/**
 * Bytes waiting for a SockJS client: frames the session holds while no receiver is attached (between two
 * polls), plus the write buffer of the socket of the current receiver (websocket or streaming response).
 * SockJS finds dead websocket peers itself (ping, 10 s) and expires sessions without a receiver.
 */
export function sockJsBufferedBytes(conn: sockjs.Connection): number {
  const session = (conn as unknown as SockJsInternals)._session;
  if (!session) return 0;
  let bytes = sockJsSocket(conn)?.writableLength ?? 0;
  for (const frame of session.send_buffer ?? []) bytes += frame.length;
  return bytes;
}
