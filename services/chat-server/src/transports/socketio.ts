import type { Server as HttpServer } from 'node:http';
import { Server, type DefaultEventsMap, type ExtendedError, type Socket } from 'socket.io';
import type { Principal, TokenVerifier } from '@sunsu/auth';
import type { Logger } from '@sunsu/observability';
import type { DeliveryHub } from '../delivery/hub.ts';
import type { Membership } from '../domain/ports.ts';
import type { SendMessageDeps } from '../domain/send-message.ts';
import type { RoomEventHandler } from '../domain/ports.ts';
import type { InboundLimits } from '../limits/inbound.ts';
import { CLOSE_GRACE_MS, type OutboundLimits, type SlowConsumerListener } from '../delivery/outbound.ts';
import { SocketIoConnection, type SocketIoWire } from './socketio-connection.ts';
import { CLIENT_EVENTS, handshakeToken, isClientEvent, type Ack } from './socketio-protocol.ts';

export interface SocketIoTransportDeps {
  verifyToken: TokenVerifier;
  rooms: Membership;
  hub: DeliveryHub;
  sendDeps: SendMessageDeps;
  roomEvents: RoomEventHandler;
  logger: Logger;
  /** Largest event accepted; a bigger one closes that socket (engine.io's buffer limit). */
  maxPayloadBytes: number;
  inbound: InboundLimits;
  outbound: OutboundLimits;
  onSlowConsumer?: SlowConsumerListener;
}

interface SocketData {
  principal: Principal;
}
type IoSocket = Socket<DefaultEventsMap, DefaultEventsMap, DefaultEventsMap, SocketData>;

/** Room for Socket.IO's own packet framing around a payload of maxPayloadBytes. */
const FRAMING_BYTES = 1024;

/**
 * Socket.IO endpoint `/socket.io/` on the shared HTTP server: the same operations and pushes as STOMP
 * (api-contract.md "Socket.IO events"), acknowledgements instead of receipts. Authentication happens in the
 * handshake, so an unauthenticated client never gets a socket; each socket is a SocketIoConnection.
 */
export class SocketIoTransport {
  private readonly deps: SocketIoTransportDeps;
  private readonly io: Server<DefaultEventsMap, DefaultEventsMap, DefaultEventsMap, SocketData>;
  private readonly connections = new Map<string, SocketIoConnection>();
  private draining = false;

  constructor(deps: SocketIoTransportDeps) {
    this.deps = deps;
    this.io = new Server({
      path: '/socket.io/',
      serveClient: false,
      maxHttpBufferSize: deps.maxPayloadBytes + FRAMING_BYTES,
      // main.ts answers upgrades for unknown paths itself; engine.io must not end /stomp or /ws upgrades.
      destroyUpgrade: false,
      // No `cors` option: cross-origin polling gets no CORS headers, so browsers keep it same-origin.
    });
    this.io.use((socket, next) => void this.authenticate(socket, next));
    this.io.on('connection', (socket) => this.onConnection(socket));
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  attach(server: HttpServer): void {
    this.io.attach(server);
  }

  /**
   * Graceful shutdown: refuse new handshakes and close every socket's transport. Clients see a transport
   * close (not "io server disconnect"), so they reconnect, through the load balancer, to another instance.
   * `io.close()` is not used because it would also close the HTTP server the other transports share.
   */
  async drain(): Promise<void> {
    this.draining = true;
    this.io.engine.close();
    await new Promise((r) => setTimeout(r, 100));
    // A polling socket still flushing its buffer is cut now.
    for (const socket of this.io.of('/').sockets.values()) socket.disconnect(true);
  }

  private async authenticate(socket: IoSocket, next: (err?: ExtendedError) => void): Promise<void> {
    if (this.draining) return next(rejection('UNAVAILABLE', 'server shutting down, reconnect'));
    let principal: Principal;
    try {
      principal = await this.deps.verifyToken(handshakeToken(socket.handshake.auth, socket.handshake.query));
    } catch (err) {
      return next(rejection('UNAUTHENTICATED', `authentication failed: ${err instanceof Error ? err.message : 'invalid token'}`));
    }
    socket.data.principal = principal;
    next();
  }

  private onConnection(socket: IoSocket): void {
    const wire: SocketIoWire = {
      emit: ({ event, payload }, volatile) => void (volatile ? socket.volatile.emit(event, payload) : socket.emit(event, payload)),
      bufferedBytes: () => engineBufferedBytes(socket),
      closeTransport: () => {
        const ws = (socket.conn as unknown as EngineInternals).transport?.socket;
        socket.conn.close(true);
        // A peer that stopped reading never completes the close handshake: cut it once it had its chance.
        if (ws?.terminate) setTimeout(() => ws.terminate?.(), CLOSE_GRACE_MS).unref();
      },
    };
    const connection = new SocketIoConnection(this.deps, socket.id, socket.data.principal, wire);
    this.connections.set(socket.id, connection);
    for (const event of CLIENT_EVENTS) {
      socket.on(event, (...args: unknown[]) => {
        const ack = takeAck(args);
        void connection.receive(event, args[0]).then((body) => ack?.(body));
      });
    }
    // An event outside the contract has no handler; answer it if the client waits for an ack.
    socket.onAny((event: string, ...args: unknown[]) => {
      if (isClientEvent(event)) return;
      takeAck(args)?.({ ok: false, error: { code: 'UNKNOWN_EVENT', message: `unknown event ${event}` } });
    });
    socket.on('disconnect', () => {
      this.connections.delete(socket.id);
      connection.close();
    });
  }
}

/** Socket.IO passes the acknowledgement callback, when the client asked for one, as the last argument. */
function takeAck(args: unknown[]): ((body: Ack) => void) | undefined {
  const last = args[args.length - 1];
  if (typeof last !== 'function') return undefined;
  args.pop();
  return last as (body: Ack) => void;
}

/** The client gets `connect_error` with this message and `data.code`. */
function rejection(code: string, message: string): ExtendedError {
  const err: ExtendedError = new Error(message);
  err.data = { code };
  return err;
}

/** The parts of engine.io that hold outgoing data (not in its public types). */
interface EngineInternals {
  writeBuffer?: { data?: unknown }[];
  transport?: { socket?: { bufferedAmount?: number; terminate?: () => void } };
}

/**
 * Bytes waiting for a Socket.IO client: packets engine.io holds while its transport is not writable (a
 * polling client between polls, a WebSocket still flushing), plus what the WebSocket itself has buffered.
 */
export function engineBufferedBytes(socket: { conn: unknown }): number {
  const conn = socket.conn as EngineInternals;
  let bytes = conn.transport?.socket?.bufferedAmount ?? 0;
  for (const packet of conn.writeBuffer ?? []) {
    const data = packet.data;
    if (typeof data === 'string') bytes += data.length;
    else if (data instanceof Uint8Array) bytes += data.byteLength;
  }
  return bytes;
}
