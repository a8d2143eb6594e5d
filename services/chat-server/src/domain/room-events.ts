import { z } from 'zod';
import type { RoomPush } from '@sunsu/contracts';
import type { InboxWriter, RouteRegistry } from '@sunsu/routing';
import type { Actor, RoomEventHandler } from '../stomp/handlers.ts';
import { errors } from './errors.ts';

const TypingBody = z.object({ typing: z.boolean() });
const ReadBody = z.object({ sequenceId: z.number().int().nonnegative() });

/**
 * Room events other than messages. Typing indicators are ephemeral: pushed straight to the instances holding
 * the room's subscribers, never stored. Presence and read positions are validated here; their state
 * (presence records, last-read, read events) belongs to the room-state work and is not kept yet.
 */
export class RoomEvents implements RoomEventHandler {
  private readonly routes: RouteRegistry;
  private readonly inbox: InboxWriter;
  constructor(routes: RouteRegistry, inbox: InboxWriter) {
    this.routes = routes;
    this.inbox = inbox;
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
        if (!ReadBody.safeParse(body).success) throw errors.badRequest('read body must be {"sequenceId": <number>}');
        return;
      }
      case 'presence':
      case 'presence-ping':
        return;
    }
  }

  disconnected(_actor: Actor): void {}

  private async pushToRoom(roomCode: string, push: RoomPush): Promise<void> {
    const servers = (await this.routes.liveServers([roomCode])).get(roomCode) ?? [];
    await this.inbox.deliver(new Map(servers.map((s) => [s, [push]])));
  }
}
