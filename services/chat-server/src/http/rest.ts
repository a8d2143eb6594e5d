import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { bearerToken, type Principal, type TokenVerifier } from '@sunsu/auth';
import { UserId, RoomCode, UpsertProfileBody, type ChatMessageResponse } from '@sunsu/contracts';
import { InvalidCursorError, readersOf, type Profile } from '@sunsu/room-state';
import { toMessageView, type MessageModel, type ArchivedMessage } from '@sunsu/archive';
import { errors } from '../domain/errors.ts';
import type { RoomDirectory } from '../domain/ports.ts';
import { listRooms, unreadAsOf, type RoomListPorts } from '../domain/room-list.ts';

export interface RestDeps {
  verifyToken: TokenVerifier;
  rooms: RoomDirectory;
  messages: MessageModel;
  /** Last-read positions of a room's participants, for exact `readBy` in history. */
  lastReads(roomCode: string): Promise<Map<string, number>>;
  roomList: RoomListPorts;
  upsertProfile(profile: Profile): Promise<void>;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Also accept `?access_token=` on this route: URLs used by `<img>` tags cannot carry an Authorization header. */
    allowQueryToken?: boolean;
  }
}

/** The authenticated caller of each /api/ request, set by the preHandler of registerRestRoutes. */
const principals = new WeakMap<FastifyRequest, Principal>();

/** The caller of an /api/ request; other route files use this instead of authenticating again. Fails closed. */
export function principalOf(req: FastifyRequest): Principal {
  const principal = principals.get(req);
  if (!principal) throw errors.unauthenticated('missing token');
  return principal;
}

const ok = <T>(data: T) => ({ code: 200, message: 'success', data });

function parse<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw errors.badRequest(result.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '));
  return result.data;
}

/**
 * The original frontend names the caller in bodies and queries (`userId`). Identity is the token's subject: the
 * field is accepted when it names the caller and refused (403) when it names anyone else (see `callerOf`).
 */
const legacyUser = { userId: UserId.optional() };

const CreateRoomBody = z.union([
  z.object({ plannerId: UserId, ...legacyUser }).strict(),
  z.object({ participantIds: z.array(UserId).min(1).max(50), ...legacyUser }).strict(),
]);
const ValidateBody = z.object({ chatRoomCode: RoomCode, ...legacyUser });
const UnreadQuery = z.object(legacyUser);
const RoomListQuery = z.object({
  size: z.coerce.number().int().min(1).max(100).default(10),
  cursor: z.string().min(1).max(512).optional(),
  ...legacyUser,
});
const HistoryQuery = z
  .object({
    size: z.coerce.number().int().min(1).max(100).default(30),
    before: z.coerce.number().int().min(1).optional(),
    after: z.coerce.number().int().min(0).optional(),
    /** Offset paging of the original frontend (`page` pages of `size` back from the newest). */
    page: z.coerce.number().int().min(0).max(10_000).optional(),
    ...legacyUser,
  })
  .refine((q) => [q.before, q.after, q.page].filter((v) => v !== undefined).length <= 1, 'use one of before, after or page');

export function toResponse(doc: ArchivedMessage, lastReads: Map<string, number> = new Map()): ChatMessageResponse {
  const { chatRoomCode: _room, ...view } = toMessageView(doc);
  return { ...view, readBy: readersOf(doc.sequenceId, doc.senderId, lastReads) };
}

/** REST API (api-contract.md "REST"); every route authenticates and every room route checks membership. */
export function registerRestRoutes(app: FastifyInstance, deps: RestDeps): void {
  const principal = (req: FastifyRequest) => principals.get(req)!;
  /** The caller's id, after checking a legacy `userId` of the request against it. */
  const callerOf = (req: FastifyRequest, claimed: string | undefined) => {
    const me = principal(req).userId;
    if (claimed !== undefined && claimed !== me) throw errors.forbidden('userId does not match the authenticated user');
    return me;
  };

  app.addHook('preHandler', async (req) => {
    if (!req.url.startsWith('/api/')) return;
    try {
      const queryToken = req.routeOptions.config?.allowQueryToken ? (req.query as { access_token?: unknown }).access_token : undefined;
      const token = bearerToken(req.headers.authorization) ?? (typeof queryToken === 'string' ? queryToken : undefined);
      principals.set(req, await deps.verifyToken(token));
    } catch (err) {
      throw errors.unauthenticated((err as Error).message);
    }
  });

  async function requireMember(roomCode: string, userId: string) {
    const participants = await deps.rooms.participants(roomCode);
    if (!participants) throw errors.roomNotFound(roomCode);
    if (!participants.includes(userId)) throw errors.forbidden();
  }

  app.post('/api/chat/rooms', async (req) => {
    const body = parse(CreateRoomBody, req.body);
    const me = callerOf(req, body.userId);
    if ('plannerId' in body) {
      if (body.plannerId === me) throw errors.badRequest('cannot open a chat with yourself');
      const room = await deps.rooms.createDirect(me, body.plannerId);
      return ok({ chatRoomCode: room.roomCode, alreadyExists: room.alreadyExists });
    }
    const ids = [...new Set([me, ...body.participantIds])];
    if (ids.length < 2) throw errors.badRequest('a room needs at least two participants');
    const room = ids.length === 2 ? await deps.rooms.createDirect(ids[0]!, ids[1]!) : await deps.rooms.createGroup(ids);
    return ok({ chatRoomCode: room.roomCode, alreadyExists: room.alreadyExists });
  });

  app.post('/api/chat/rooms/validate', async (req) => {
    const { chatRoomCode, userId } = parse(ValidateBody, req.body);
    const me = callerOf(req, userId);
    const participants = await deps.rooms.participants(chatRoomCode);
    return ok({ valid: !!participants?.includes(me) });
  });

  /**
   * Unread per room = persisted messages above the user's last-read not sent by the user: counted in the archive,
   * so sequence numbers that were allocated but never persisted never inflate it; up to the room's meta, as in the
   * room list, so both answers agree.
   */
  app.get('/api/chat/unread', async (req) => {
    const me = callerOf(req, parse(UnreadQuery, req.query).userId);
    const codes = await deps.rooms.roomsOf(me);
    const counts = await Promise.all(
      codes.map(async (code) => {
        const [meta, lastReads] = await Promise.all([deps.roomList.meta(code), deps.lastReads(code)]);
        const n = await unreadAsOf(deps.roomList, code, me, meta, lastReads.get(me) ?? 0);
        return [code, n] as const;
      }),
    );
    const rooms = Object.fromEntries(counts);
    return ok({ total: counts.reduce((sum, [, n]) => sum + n, 0), rooms });
  });

  /** The caller's rooms, newest activity first; the cursor walks a snapshot (no room missed or repeated). */
  app.get('/api/chat/rooms', async (req) => {
    const q = parse(RoomListQuery, req.query);
    const me = callerOf(req, q.userId);
    try {
      const page = await listRooms(deps.roomList, me, q.size, q.cursor);
      return { code: 200, message: 'success', ...page };
    } catch (err) {
      if (err instanceof InvalidCursorError) throw errors.badRequest('cursor: invalid, start again without one');
      throw err;
    }
  });

  /** Profiles are normally refreshed from each caller's claims; a back office pushes changes here. */
  app.put<{ Params: { userId: string } }>('/api/users/:userId', async (req) => {
    if (principal(req).role !== 'service') throw errors.forbidden('only service tokens may write profiles');
    const userId = parse(UserId, req.params.userId);
    const body = parse(UpsertProfileBody, req.body);
    const profile = { userId, name: body.name, avatarUrl: body.avatarUrl ?? null, role: body.role };
    await deps.upsertProfile(profile);
    return ok(profile);
  });

  app.get<{ Params: { code: string } }>('/api/chat/messages/:code', async (req) => {
    const code = parse(RoomCode, req.params.code);
    const q = parse(HistoryQuery, req.query);
    await requireMember(code, callerOf(req, q.userId));
    const ascending = q.after !== undefined;
    const filter =
      q.after !== undefined ? { chatRoomCode: code, sequenceId: { $gt: q.after } } : q.before !== undefined ? { chatRoomCode: code, sequenceId: { $lt: q.before } } : { chatRoomCode: code };
    const docs = await deps.messages
      .find(filter)
      .sort({ sequenceId: ascending ? 1 : -1 })
      .skip((q.page ?? 0) * q.size)
      .limit(q.size + 1)
      .lean<ArchivedMessage[]>();
    const hasNext = docs.length > q.size;
    const lastReads = await deps.lastReads(code);
    const page = docs.slice(0, q.size).map((d) => toResponse(d, lastReads));
    return { code: 200, message: 'success', data: page, hasNext, nextCursor: hasNext ? (page.at(-1)?.sequenceId ?? null) : null };
  });
}
