import type { TokenVerifier } from '@sunsu/auth';
import type { RoomPush } from '@sunsu/contracts';
import type { DeliveryHub, Subscriber } from '../delivery/hub.ts';
import { ChatError, errors } from '../domain/errors.ts';
import type { Actor, RoomDirectory, RoomEventHandler } from '../domain/ports.ts';
import { isEphemeral } from '../delivery/outbound.ts';
import { sendMessage, type SendMessageDeps } from '../domain/send-message.ts';
import { parseSendDestination, parseSubscribeDestination } from './destinations.ts';
import type { SessionHandlers, StompSession } from './session.ts';

export interface StompAppDeps extends SendMessageDeps {
  verifyToken: TokenVerifier;
  rooms: RoomDirectory;
  hub: DeliveryHub;
  /** Room state operations that arrive over STOMP besides messages (presence, read, typing). */
  roomEvents: RoomEventHandler;
}

function parseJson(body: string): unknown {
  if (body.trim() === '') return {};
  try {
    return JSON.parse(body);
  } catch {
    throw errors.badRequest('body is not valid JSON');
  }
}

/** Bind STOMP sessions to the platform: auth, membership checks, sends, and delivery subscriptions. */
export function createStompHandlers(deps: StompAppDeps): SessionHandlers {
  const subscribers = new WeakMap<StompSession, Map<string, { destination: string; roomCode: string; subscriber: Subscriber }>>();

  async function requireMember(session: StompSession, roomCode: string) {
    const participants = await deps.rooms.participants(roomCode);
    if (!participants) throw errors.roomNotFound(roomCode);
    if (!participants.includes(session.principal!.userId)) throw errors.forbidden();
  }

  return {
    authenticate: (token) => deps.verifyToken(token),

    async subscribe(session, subscriptionId, destination) {
      const target = parseSubscribeDestination(destination);
      if (!target) throw new ChatError('UNKNOWN_DESTINATION', 404, `unknown destination ${destination}`);
      await requireMember(session, target.roomCode);
      // Closed while the membership check ran: close() already cleaned up, so register nothing now.
      if (!session.isOpen) return;
      const subscriber: Subscriber = { deliver: (dest: string, body: string, push: RoomPush) => session.deliver(dest, body, isEphemeral(push)) };
      let mine = subscribers.get(session);
      if (!mine) subscribers.set(session, (mine = new Map()));
      mine.set(subscriptionId, { destination, roomCode: target.roomCode, subscriber });
      await deps.hub.add(destination, target.roomCode, subscriber);
    },

    async unsubscribe(session, subscriptionId) {
      const entry = subscribers.get(session)?.get(subscriptionId);
      if (!entry) return;
      subscribers.get(session)!.delete(subscriptionId);
      deps.hub.remove(entry.destination, entry.roomCode, entry.subscriber);
    },

    async send(session, destination, body) {
      const target = parseSendDestination(destination);
      if (!target) throw new ChatError('UNKNOWN_DESTINATION', 404, `unknown destination ${destination}`);
      const json = parseJson(body);
      if (target.kind === 'message') {
        await sendMessage(deps, session.principal!, { roomCode: target.roomCode, body: json });
        return;
      }
      await requireMember(session, target.roomCode);
      await deps.roomEvents.handle(target.kind, actorOf(session), target.roomCode, json);
    },

    closed(session) {
      for (const entry of subscribers.get(session)?.values() ?? []) deps.hub.remove(entry.destination, entry.roomCode, entry.subscriber);
      subscribers.delete(session);
      if (session.principal) deps.roomEvents.disconnected(actorOf(session));
    },
  };
}

function actorOf(session: StompSession): Actor {
  return { principal: session.principal!, connectionId: session.id, isOpen: () => session.isOpen };
}
