import type { RoomPush } from '@sunsu/contracts';
import type { Logger } from '@sunsu/observability';
import type { RouteRegistry } from '@sunsu/routing';
import { topicFor } from './topics.ts';

/** Anything that can receive pushes for a destination (a STOMP session, a Socket.IO socket). */
export interface Subscriber {
  deliver(destination: string, body: string, push: RoomPush): void;
}

/**
 * This process's subscriptions, and its entry in the routing registry: the hub registers the process for a room
 * when the room gets its first local subscriber, refreshes the registrations while they last, and removes them
 * when the last subscriber leaves. Pushes read from this process's inbox are fanned out locally here.
 */
export class DeliveryHub {
  private readonly byDestination = new Map<string, Set<Subscriber>>();
  private readonly roomRefs = new Map<string, number>();
  /** Recently delivered sequences per room: the inbox is at-least-once, clients get each message once. */
  private readonly recent = new Map<string, { set: Set<number>; order: number[] }>();
  private readonly serverId: string;
  private readonly routes: RouteRegistry;
  private readonly logger: Logger;
  private refreshTimer: NodeJS.Timeout | undefined;

  constructor(serverId: string, routes: RouteRegistry, logger: Logger, refreshEveryMs = 20_000) {
    this.serverId = serverId;
    this.routes = routes;
    this.logger = logger;
    this.refreshTimer = setInterval(() => {
      const rooms = [...this.roomRefs.keys()];
      if (rooms.length > 0) this.routes.register(this.serverId, rooms).catch((err) => this.logger.warn({ err }, 'route refresh failed'));
    }, refreshEveryMs);
    this.refreshTimer.unref();
  }

  /** Add a subscriber; resolves once the routing registry knows this process holds the room. */
  async add(destination: string, roomCode: string, subscriber: Subscriber): Promise<void> {
    let set = this.byDestination.get(destination);
    if (!set) this.byDestination.set(destination, (set = new Set()));
    set.add(subscriber);
    const refs = (this.roomRefs.get(roomCode) ?? 0) + 1;
    this.roomRefs.set(roomCode, refs);
    // Every subscription (not only the room's first) re-asserts the route: cheap, and it heals a registry that
    // Redis lost without waiting for the periodic refresh.
    await this.routes.register(this.serverId, [roomCode]);
  }

  /** Refresh this process's route to a room it holds subscribers of (no-op otherwise, so nothing is leaked). */
  async reassert(roomCode: string): Promise<void> {
    if (this.roomRefs.has(roomCode)) await this.routes.register(this.serverId, [roomCode]);
  }

  /** Live registrations, for metrics and leak checks. */
  get size(): { destinations: number; rooms: number; subscriptions: number } {
    let subscriptions = 0;
    for (const set of this.byDestination.values()) subscriptions += set.size;
    return { destinations: this.byDestination.size, rooms: this.roomRefs.size, subscriptions };
  }

  remove(destination: string, roomCode: string, subscriber: Subscriber): void {
    const set = this.byDestination.get(destination);
    if (!set?.delete(subscriber)) return;
    if (set.size === 0) this.byDestination.delete(destination);
    const refs = (this.roomRefs.get(roomCode) ?? 1) - 1;
    if (refs > 0) {
      this.roomRefs.set(roomCode, refs);
      return;
    }
    this.roomRefs.delete(roomCode);
    this.recent.delete(roomCode);
    this.routes.unregister(this.serverId, [roomCode]).catch((err) => this.logger.warn({ err }, 'route removal failed'));
  }

  /** Deliver pushes from the inbox to local subscribers. */
  dispatch(pushes: RoomPush[]): number {
    let delivered = 0;
    for (const push of pushes) {
      let destination: string;
      let body: unknown;
      switch (push.kind) {
        case 'message':
          if (this.seen(push.roomCode, push.message.sequenceId)) continue;
          destination = topicFor.messages(push.roomCode);
          body = push.message;
          break;
        case 'read':
          destination = topicFor.reads(push.roomCode);
          body = { userId: push.userId, lastReadSequenceId: push.lastReadSequenceId };
          break;
        case 'typing':
          destination = topicFor.typing(push.roomCode);
          body = { userId: push.userId, typing: push.typing };
          break;
        case 'presence':
          destination = topicFor.presence(push.roomCode, push.userId);
          body = { userId: push.userId, status: push.status };
          break;
      }
      const json = JSON.stringify(body);
      for (const subscriber of this.byDestination.get(destination) ?? []) {
        subscriber.deliver(destination, json, push);
        delivered++;
      }
    }
    return delivered;
  }

  localRooms(): string[] {
    return [...this.roomRefs.keys()];
  }

  async close(): Promise<void> {
    clearInterval(this.refreshTimer);
    const rooms = this.localRooms();
    if (rooms.length > 0) await this.routes.unregister(this.serverId, rooms).catch(() => undefined);
  }

  private seen(roomCode: string, sequenceId: number): boolean {
    let entry = this.recent.get(roomCode);
    if (!entry) this.recent.set(roomCode, (entry = { set: new Set(), order: [] }));
    if (entry.set.has(sequenceId)) return true;
    entry.set.add(sequenceId);
    entry.order.push(sequenceId);
    if (entry.order.length > 1024) entry.set.delete(entry.order.shift()!);
    return false;
  }
}
