import { z } from 'zod';
import type { RoomPush } from '@sunsu/contracts';
import type { InboxWriter, RouteRegistry } from '@sunsu/routing';
import type { Actor, RoomEventHandler } from './ports.ts';
import { errors } from './errors.ts';

const TypingBody = z.object({ typing: z.boolean() });
const ReadBody = z.object({ sequenceId: z.number().int().nonnegative() });

/** What room events need of the presence records (adapters/presence-store.ts). */
export interface PresencePort {
  join(roomCode: string, userId: string, connectionId: string, serverId: string): Promise<boolean>;
  leave(roomCode: string, userId: string, connectionId: string, serverId: string): Promise<boolean>;
  onlineUsers(roomCode: string): Promise<string[]>;
}

/** What room events need of the read state (packages/room-state). */
export interface ReadStatePort {
  advanceLastRead(roomCode: string, userId: string, sequenceId: number): Promise<boolean>;
  /** Sequence of the room's newest message in its meta (Redis): never ahead of the archive, behind it by the fan-out's lag; 0 when unknown. */
  newestInMeta(roomCode: string): Promise<number>;
  /** Sequence of the newest persisted message of the room (the archive). */
  newestPersisted(roomCode: string): Promise<number>;
}

/**
 * Where a read marker may move given the room meta alone, or undefined when only the archive can tell (pure).
 * Meta is never ahead of the archive and every pushed message is in it, so a marker up to it stands; entering a
 * room ("everything") stops at it, since later messages reach the present reader through the fan-out.
 */
export function readCapFromMeta(wanted: number, inMeta: number, everything: boolean): number | undefined {
  if (wanted <= inMeta) return wanted;
  if (everything && inMeta > 0) return inMeta;
  return undefined;
}

/**
 * Room events other than messages. Typing indicators are ephemeral: pushed straight to the instances holding
 * the room's subscribers, never stored. Presence is kept per connection: a user goes online with their first
 * connection in the room (or a ping after their presence expired) and offline when their last one closes;
 * only those transitions are pushed. A user's last-read only moves up, never past the newest persisted message;
 * every move is pushed to the room as a read event (so senders' "1" markers clear). Entering a room (presence)
 * marks everything persisted so far as read.
 */
export class RoomEvents implements RoomEventHandler {
  private readonly routes: RouteRegistry;
  private readonly inbox: InboxWriter;
  private readonly presence: PresencePort;
  private readonly reads: ReadStatePort;
  private readonly serverId: string;
  /** Rooms each local connection announced itself in, to clean up when it closes. */
  private readonly joined = new Map<string, { userId: string; rooms: Set<string> }>();

  /** Re-registers this process for a room it holds subscribers of (the hub knows; a closed socket holds none). */
  private readonly reassertRoute: (roomCode: string) => Promise<void>;

  constructor(
    routes: RouteRegistry,
    inbox: InboxWriter,
    presence: PresencePort,
    reads: ReadStatePort,
    serverId: string,
    reassertRoute: (roomCode: string) => Promise<void>,
  ) {
    this.routes = routes;
    this.reassertRoute = reassertRoute;
    this.inbox = inbox;
    this.presence = presence;
    this.reads = reads;
    this.serverId = serverId;
  }

  async handle(kind: 'presence' | 'presence-ping' | 'read' | 'typing', actor: Actor, roomCode: string, body: unknown): Promise<void> {
    const userId = actor.principal.userId;
    if (body && typeof body === 'object' && 'userId' in body && String((body as { userId: unknown }).userId) !== userId) {
      throw errors.forbidden('userId does not match the authenticated user');
    }
    switch (kind) {
      case 'typing': {
        const parsed = TypingBody.safeParse(body);
        if (!parsed.success) throw errors.badRequest('typing body must be {"typing": true|false}');
        await this.pushToRoom(roomCode, { kind: 'typing', roomCode, userId, typing: parsed.data.typing });
        return;
      }
      case 'read': {
        const parsed = ReadBody.safeParse(body);
        if (!parsed.success) throw errors.badRequest('read body must be {"sequenceId": <number>}');
        await this.markRead(roomCode, userId, parsed.data.sequenceId);
        return;
      }
      case 'presence':
      case 'presence-ping': {
        // A connection that closed while this request waited must not come back online.
        if (!actor.isOpen()) return;
        // Presence (and each ping) also re-asserts this process's route to the room: after Redis lost its data,
        // deliveries resume with the next ping instead of the next periodic refresh.
        const [wasOnline] = await Promise.all([this.presence.join(roomCode, userId, actor.connectionId, this.serverId), this.reassertRoute(roomCode)]);
        if (!actor.isOpen()) {
          // It closed during the join: disconnected() ran before this room was recorded, so undo it here.
          await this.presence.leave(roomCode, userId, actor.connectionId, this.serverId);
          return;
        }
        let entry = this.joined.get(actor.connectionId);
        if (!entry) this.joined.set(actor.connectionId, (entry = { userId, rooms: new Set() }));
        entry.rooms.add(roomCode);
        if (!wasOnline) await this.pushToRoom(roomCode, { kind: 'presence', roomCode, userId, status: 'online' });
        if (kind === 'presence') {
          await this.markRead(roomCode, userId, Number.MAX_SAFE_INTEGER, true);
          // The newcomer learns who is already here (pushed to the room's presence topics of those users).
          for (const other of await this.presence.onlineUsers(roomCode)) {
            if (other !== userId) await this.pushToRoom(roomCode, { kind: 'presence', roomCode, userId: other, status: 'online' });
          }
        }
        return;
      }
    }
  }

  /** Connections with presence recorded here (a leak check: back to 0 when every socket closed). */
  get presenceConnections(): number {
    return this.joined.size;
  }

  disconnected(actor: Actor): void {
    const entry = this.joined.get(actor.connectionId);
    if (!entry) return;
    this.joined.delete(actor.connectionId);
    for (const roomCode of entry.rooms) {
      void this.presence
        .leave(roomCode, entry.userId, actor.connectionId, this.serverId)
        .then((stillOnline) => (stillOnline ? undefined : this.pushToRoom(roomCode, { kind: 'presence', roomCode, userId: entry.userId, status: 'offline' })))
        .catch(() => undefined); // the entry expires by itself if Redis is unreachable now
    }
  }

  /**
   * Move last-read up to `sequenceId`, capped at the newest persisted message, and announce the move. Room meta
   * answers without the archive for every marker up to it (each pushed message is in it: the fan-out updates
   * meta before it pushes) and for "everything" on entering a room (messages persisted after it reach the now
   * present reader through the fan-out, which moves a present user's last-read); only a marker past it, or a room
   * Redis knows nothing of, asks the archive.
   */
  private async markRead(roomCode: string, userId: string, sequenceId: number, everything = false): Promise<void> {
    const cap = readCapFromMeta(sequenceId, await this.reads.newestInMeta(roomCode), everything);
    const upTo = cap ?? Math.min(sequenceId, await this.reads.newestPersisted(roomCode));
    if (upTo > 0 && (await this.reads.advanceLastRead(roomCode, userId, upTo))) {
      await this.pushToRoom(roomCode, { kind: 'read', roomCode, userId, lastReadSequenceId: upTo });
    }
  }

  /** Push to every instance holding the room (routing registry → inboxes). */
  async pushToRoom(roomCode: string, push: RoomPush): Promise<void> {
    const servers = (await this.routes.liveServers([roomCode])).get(roomCode) ?? [];
    await this.inbox.deliver(new Map(servers.map((s) => [s, [push]])));
  }
}
