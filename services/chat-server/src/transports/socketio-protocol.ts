import { z } from 'zod';
import { RoomCode, type ChatMessageResponse, type RoomPush } from '@sunsu/contracts';
import { ChatError, errors } from '../domain/errors.ts';

/**
 * The Socket.IO surface of api-contract.md ("Socket.IO events"): event names, payload schemas, acknowledgement
 * bodies and the mapping of room pushes to server → client events. Pure, so it is tested without a server.
 */

export const CLIENT_EVENTS = ['message:send', 'room:subscribe', 'room:enter', 'presence:ping', 'room:read', 'typing'] as const;
export type ClientEvent = (typeof CLIENT_EVENTS)[number];

export const isClientEvent = (event: string): event is ClientEvent => (CLIENT_EVENTS as readonly string[]).includes(event);

/** `room:subscribe`, `room:enter`, `presence:ping`. */
export const RoomRefPayload = z.object({ roomCode: RoomCode });
/** `message:send`: the rest of the body is the STOMP message body, validated by sendMessage itself. */
export const MessageSendPayload = z.looseObject({ roomCode: RoomCode });
export const ReadPayload = z.object({ roomCode: RoomCode, sequenceId: z.number().int().nonnegative() });
export const TypingPayload = z.object({ roomCode: RoomCode, typing: z.boolean() });

/** Validate a client payload; a mismatch is the client's error (BAD_REQUEST), never a crash. */
export function parsePayload<S extends z.ZodType>(schema: S, payload: unknown): z.output<S> {
  const parsed = schema.safeParse(payload);
  if (parsed.success) return parsed.data;
  throw errors.badRequest(parsed.error.issues.map((i) => `${i.path.join('.') || 'payload'}: ${i.message}`).join('; '));
}

export interface AckError {
  code: string;
  message: string;
}
export type Ack = { ok: true; sequenceId?: number } | { ok: false; error: AckError };

/** Domain errors keep their code and message; anything else is hidden behind INTERNAL. */
export function ackError(err: unknown): AckError {
  if (err instanceof ChatError) return { code: err.code, message: err.message };
  return { code: 'INTERNAL', message: 'internal error' };
}

/** The token of a handshake: `auth.token` (optionally "Bearer …"), else the `access_token` query parameter. */
export function handshakeToken(auth: unknown, query: unknown): string | undefined {
  const fromAuth = z.object({ token: z.string() }).safeParse(auth);
  if (fromAuth.success) {
    const token = fromAuth.data.token.trim();
    const bearer = /^Bearer\s+(\S+)$/i.exec(token)?.[1];
    return (bearer ?? token) || undefined;
  }
  const fromQuery = z.object({ access_token: z.union([z.string(), z.array(z.string())]) }).safeParse(query);
  if (!fromQuery.success) return undefined;
  const value = fromQuery.data.access_token;
  return (Array.isArray(value) ? value[0] : value) || undefined;
}

export type ServerEvent =
  | { event: 'message'; payload: ChatMessageResponse & { roomCode: string } }
  | { event: 'read'; payload: { roomCode: string; userId: string; lastReadSequenceId: number } }
  | { event: 'typing'; payload: { roomCode: string; userId: string; typing: boolean } }
  | { event: 'presence'; payload: { roomCode: string; userId: string; status: 'online' | 'offline' } };

/** A room push as a Socket.IO event: the STOMP body plus `roomCode`, since one socket carries many rooms. */
export function serverEventFor(push: RoomPush): ServerEvent {
  switch (push.kind) {
    case 'message':
      return { event: 'message', payload: { ...push.message, roomCode: push.roomCode } };
    case 'read':
      return { event: 'read', payload: { roomCode: push.roomCode, userId: push.userId, lastReadSequenceId: push.lastReadSequenceId } };
    case 'typing':
      return { event: 'typing', payload: { roomCode: push.roomCode, userId: push.userId, typing: push.typing } };
    case 'presence':
      return { event: 'presence', payload: { roomCode: push.roomCode, userId: push.userId, status: push.status } };
  }
}
