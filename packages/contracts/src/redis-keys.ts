/**
 * Every Redis key the platform uses, built in one place. Keys that belong to a room carry the room code as
 * a hash tag (`{code}`) so all of a room's keys live in one Redis Cluster slot and a Lua script or MULTI may
 * touch several of them; nothing on any path combines keys of different rooms in one command.
 */
const room = (code: string) => `chat:{${code}}`;
const user = (userId: string) => `chat:user:{${userId}}`;

export const redisKeys = {
  /** STRING counter: last allocated sequence of a room (INCR). */
  roomSequence: (code: string) => `${room(code)}:seq`,
  /** STRING messageId -> sequence, short-lived: makes a client's resend of the same message harmless. */
  roomSent: (code: string, senderId: string, messageId: string) => `${room(code)}:sent:${senderId}:${messageId}`,
  /** SET of participant user ids. */
  roomMembers: (code: string) => `${room(code)}:members`,
  /** HASH: lastMessage, lastMessageType, lastMessageAt, lastSequenceId. */
  roomMeta: (code: string) => `${room(code)}:meta`,
  /** HASH userId -> last-read sequence (monotonic). */
  roomLastRead: (code: string) => `${room(code)}:last-read`,
  /** ZSET member "userId|connectionId|serverId" -> expiry (ms) for presence: one entry per connection. */
  roomPresence: (code: string) => `${room(code)}:presence`,
  /** ZSET room code -> when its earliest presence entry expires: what the presence sweeper visits. */
  presenceDue: () => 'chat:presence:due',
  /** ZSET serverId -> expiry ms: chat-server instances holding subscribers of the room (routing registry). */
  roomRoutes: (code: string) => `${room(code)}:routes`,
  /** ZSET of a user's room codes, score = last message time (ms). */
  userRooms: (userId: string) => `${user(userId)}:rooms`,
  /** HASH: name, avatarUrl, role. */
  userProfile: (userId: string) => `${user(userId)}:profile`,
  /**
   * ZSET snapshot of a user's room order taken by the first page of a room-list walk; later pages read the
   * snapshot, so rooms moving while a client pages are neither missed nor repeated. Short-lived.
   */
  userRoomsSnapshot: (userId: string, snapshotId: string) => `${user(userId)}:rooms:snap:${snapshotId}`,
  /**
   * Write-back bookkeeping of the syncer. All of it shares the `{dirty}` hash tag so one script can move
   * entries between the sets atomically (one cluster slot).
   * SET of room codes whose meta changed since the last flush to Postgres.
   */
  dirtyRoomMeta: () => 'chat:{dirty}:room-meta',
  /** SET of "code|userId" whose last-read changed since the last flush. */
  dirtyLastRead: () => 'chat:{dirty}:last-read',
  /** SET of entries taken by the flush that is running (or crashed): recovered by the next flush. */
  dirtyInFlight: (kind: 'room-meta' | 'last-read') => `chat:{dirty}:${kind}:in-flight`,
  /** HASH entry -> "attempts|notBeforeMs" for entries whose write failed (retry with backoff, then quarantine). */
  dirtyAttempts: (kind: 'room-meta' | 'last-read') => `chat:{dirty}:${kind}:attempts`,
  /** STREAM of pushes addressed to one chat-server instance (unicast delivery channel). */
  serverInbox: (serverId: string) => `chat:server:{${serverId}}:inbox`,
} as const;
