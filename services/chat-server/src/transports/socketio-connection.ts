import type { RoomPush } from '@sunsu/contracts';
import type { Principal } from '@sunsu/auth';
import type { Logger } from '@sunsu/observability';
import type { DeliveryHub, Subscriber } from '../delivery/hub.ts';
import { errors } from '../domain/errors.ts';
import type { Membership } from '../domain/ports.ts';
import { sendMessage, type SendMessageDeps } from '../domain/send-message.ts';
import { topicFor } from '../delivery/topics.ts';
import type { Actor, RoomEventHandler } from '../domain/ports.ts';
import {
  ackError,
  MessageSendPayload,
  parsePayload,
  ReadPayload,
  RoomRefPayload,
  serverEventFor,
  TypingPayload,
  type Ack,
  type ClientEvent,
  type ServerEvent,
} from './socketio-protocol.ts';
import { InboundLimiter, type InboundLimits, type RequestKind } from '../limits/inbound.ts';
import { isEphemeral, outboundVerdict, type OutboundLimits, type SlowConsumerListener } from '../delivery/outbound.ts';

export interface SocketIoConnectionDeps {
  rooms: Membership;
  hub: DeliveryHub;
  sendDeps: SendMessageDeps;
  roomEvents: RoomEventHandler;
  logger: Logger;
  /** The same inbound and outbound policy as a STOMP session. */
  inbound: InboundLimits;
  outbound: OutboundLimits;
  onSlowConsumer?: SlowConsumerListener;
}

/** What a connection needs of its Socket.IO socket. */
export interface SocketIoWire {
  /** `volatile`: dropped by Socket.IO when the transport is not writable (ephemeral pushes). */
  emit(event: ServerEvent, volatile: boolean): void;
  /** Bytes waiting for the client: engine.io's write buffer plus the WebSocket's. */
  bufferedBytes(): number;
  /** Close the transport: the client sees a transport close and reconnects (then catches up with `after=`). */
  closeTransport(): void;
}

/**
 * One authenticated Socket.IO socket: runs its client events strictly in arrival order (as a STOMP session
 * does, so a client's sends get sequences in the order it emitted them), holds its hub registrations, and
 * turns every outcome into an acknowledgement body. `receive` never rejects.
 */
export class SocketIoConnection {
  readonly actor: Actor;
  private readonly deps: SocketIoConnectionDeps;
  private readonly wire: SocketIoWire;
  private readonly subscriber: Subscriber;
  private readonly limiter: InboundLimiter;
  /** destination -> room, so a repeated subscribe is a no-op and close removes exactly what was added. */
  private readonly destinations = new Map<string, string>();
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(deps: SocketIoConnectionDeps, id: string, principal: Principal, wire: SocketIoWire) {
    this.deps = deps;
    this.actor = { principal, connectionId: id, isOpen: () => !this.closed };
    this.wire = wire;
    this.limiter = new InboundLimiter(deps.inbound);
    this.subscriber = { deliver: (_destination: string, body: string, push: RoomPush) => this.deliver(push, body.length) };
  }

  /**
   * Limits are checked on arrival, before queueing, so a flood is refused at once instead of piling up. A rate
   * limit answers that request only (acknowledgements are per request, like HTTP 429); a client with too many
   * requests in flight is flooding and loses its connection, as a STOMP client would.
   */
  receive(event: ClientEvent, payload: unknown): Promise<Ack> {
    if (this.closed) return Promise.resolve({ ok: false, error: { code: 'UNAVAILABLE', message: 'connection closed' } });
    const flooding = this.limiter.pending >= this.limiter.limits.maxPending;
    const refused = this.limiter.admit(requestKind(event));
    if (refused) {
      if (flooding) setImmediate(() => this.wire.closeTransport());
      return Promise.resolve(this.failure(refused));
    }
    const result = this.queue.then(() => this.run(event, payload)).then(
      (ack) => ack,
      (err: unknown) => this.failure(err),
    );
    this.queue = result.finally(() => this.limiter.settled());
    return result;
  }

  /** The socket went away: drop every hub registration and tell room state (presence) once. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const [destination, roomCode] of this.destinations) this.deps.hub.remove(destination, roomCode, this.subscriber);
    this.destinations.clear();
    this.deps.roomEvents.disconnected(this.actor);
  }

  /** A push past the outbound budget disconnects the client as a slow consumer; ephemeral ones are dropped when behind. */
  private deliver(push: RoomPush, bytes: number): void {
    if (this.closed) return;
    const ephemeral = isEphemeral(push);
    const buffered = this.wire.bufferedBytes();
    const verdict = outboundVerdict(buffered, bytes, ephemeral, this.deps.outbound);
    if (verdict === 'drop') return;
    if (verdict === 'slow-consumer') {
      this.deps.onSlowConsumer?.({ transport: 'socketio', connectionId: this.actor.connectionId, userId: this.actor.principal.userId, bufferedBytes: buffered });
      this.close();
      this.wire.closeTransport();
      return;
    }
    this.wire.emit(serverEventFor(push), ephemeral);
  }

  private async run(event: ClientEvent, payload: unknown): Promise<Ack> {
    if (this.closed) return { ok: false, error: { code: 'UNAVAILABLE', message: 'connection closed' } };
    switch (event) {
      case 'message:send': {
        const { roomCode } = parsePayload(MessageSendPayload, payload);
        const { sequenceId } = await sendMessage(this.deps.sendDeps, this.actor.principal, { roomCode, body: payload });
        return { ok: true, sequenceId };
      }
      case 'room:subscribe': {
        const { roomCode } = parsePayload(RoomRefPayload, payload);
        await this.requireMember(roomCode);
        await this.register(roomCode, []);
        return { ok: true };
      }
      case 'room:enter': {
        const { roomCode } = parsePayload(RoomRefPayload, payload);
        const participants = await this.requireMember(roomCode);
        // Subscribe before announcing presence, so the room's answer to our arrival is not missed.
        await this.register(roomCode, participants.filter((p) => p !== this.actor.principal.userId));
        await this.deps.roomEvents.handle('presence', this.actor, roomCode, {});
        return { ok: true };
      }
      case 'presence:ping': {
        const { roomCode } = parsePayload(RoomRefPayload, payload);
        await this.requireMember(roomCode);
        await this.deps.roomEvents.handle('presence-ping', this.actor, roomCode, {});
        return { ok: true };
      }
      case 'room:read': {
        const { roomCode, sequenceId } = parsePayload(ReadPayload, payload);
        await this.requireMember(roomCode);
        await this.deps.roomEvents.handle('read', this.actor, roomCode, { sequenceId });
        return { ok: true };
      }
      case 'typing': {
        const { roomCode, typing } = parsePayload(TypingPayload, payload);
        await this.requireMember(roomCode);
        await this.deps.roomEvents.handle('typing', this.actor, roomCode, { typing });
        return { ok: true };
      }
    }
  }

  private async requireMember(roomCode: string): Promise<string[]> {
    const participants = await this.deps.rooms.participants(roomCode);
    if (!participants) throw errors.roomNotFound(roomCode);
    if (!participants.includes(this.actor.principal.userId)) throw errors.forbidden();
    return participants;
  }

  /** The room's messages, reads and typing, plus the presence of `presenceOf`; skips what is already held. */
  private async register(roomCode: string, presenceOf: string[]): Promise<void> {
    // Closed while the membership check ran: registering now would leak past close().
    if (this.closed) return;
    const wanted = [
      topicFor.messages(roomCode),
      topicFor.reads(roomCode),
      topicFor.typing(roomCode),
      ...presenceOf.map((userId) => topicFor.presence(roomCode, userId)),
    ].filter((d) => !this.destinations.has(d));
    this.limiter.checkSubscriptions(this.destinations.size, wanted.length);
    for (const destination of wanted) this.destinations.set(destination, roomCode);
    try {
      await Promise.all(wanted.map((destination) => this.deps.hub.add(destination, roomCode, this.subscriber)));
    } catch (err) {
      // Routing registry unreachable: undo, so the client can retry cleanly.
      for (const destination of wanted) {
        if (this.destinations.delete(destination)) this.deps.hub.remove(destination, roomCode, this.subscriber);
      }
      throw err;
    }
  }

  private failure(err: unknown): Ack {
    const error = ackError(err);
    if (error.code === 'INTERNAL') this.deps.logger.error({ err, connectionId: this.actor.connectionId }, 'socket.io event failed');
    return { ok: false, error };
  }
}

function requestKind(event: ClientEvent): RequestKind {
  if (event === 'message:send') return 'send';
  if (event === 'room:subscribe' || event === 'room:enter') return 'subscribe';
  return 'other';
}
