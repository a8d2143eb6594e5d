import type { ChatRoomSummary } from '@sunsu/contracts';
import type { Profile, RoomMeta, RoomOrderEntry } from '@sunsu/room-state';

/** What the room list reads; each port hydrates from the system of record when Redis lost its part. */
export interface RoomListPorts {
  page(userId: string, size: number, cursor?: string): Promise<{ entries: RoomOrderEntry[]; nextCursor: string | null }>;
  participants(roomCode: string): Promise<string[] | null>;
  profiles(userIds: string[]): Promise<Map<string, Profile>>;
  meta(roomCode: string): Promise<RoomMeta | null>;
  lastReads(roomCode: string): Promise<Map<string, number>>;
  /** Messages not sent by `userId` with a sequence in (lastRead, upTo]. */
  countUnread(roomCode: string, userId: string, lastRead: number, upTo: number): Promise<number>;
}

export interface RoomListPage {
  data: ChatRoomSummary[];
  hasNext: boolean;
  nextCursor: string | null;
}

/** A user's rooms, newest activity first, one page; each room's parts are read concurrently. */
export async function listRooms(ports: RoomListPorts, userId: string, size: number, cursor?: string): Promise<RoomListPage> {
  const { entries, nextCursor } = await ports.page(userId, size, cursor);
  const rooms = await Promise.all(
    entries.map(async (entry) => {
      const [participants, meta, lastReads] = await Promise.all([ports.participants(entry.code), ports.meta(entry.code), ports.lastReads(entry.code)]);
      const unread = await unreadAsOf(ports, entry.code, userId, meta, lastReads.get(userId) ?? 0);
      return { entry, participants: participants ?? [], meta, unread };
    }),
  );
  const profiles = await ports.profiles([...new Set(rooms.flatMap((r) => r.participants))]);
  const data = rooms.map(({ entry, participants, meta, unread }) => summarize(userId, entry, participants, profiles, meta, unread));
  return { data, hasNext: nextCursor !== null, nextCursor };
}

/**
 * A room's unread count as of `meta`, the view its preview and `lastSequenceId` come from: the archive is written
 * before the meta moves, so counting up to the newest archived message could count messages the preview does not
 * show yet ("3 unread" next to the first of the three).
 */
export async function unreadAsOf(ports: Pick<RoomListPorts, 'countUnread'>, code: string, userId: string, meta: RoomMeta | null, lastRead: number): Promise<number> {
  const upTo = meta?.lastSequenceId ?? 0;
  return upTo > lastRead ? ports.countUnread(code, userId, lastRead, upTo) : 0;
}

export function summarize(
  userId: string,
  entry: RoomOrderEntry,
  participantIds: string[],
  profiles: Map<string, Profile>,
  meta: RoomMeta | null,
  unreadCount: number,
): ChatRoomSummary {
  const participants = [...participantIds]
    .sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0))
    .map((id) => ({ userId: id, name: profiles.get(id)?.name ?? `User ${id}`, avatarUrl: profiles.get(id)?.avatarUrl ?? null }));
  const others = participants.filter((p) => p.userId !== userId);
  const partner = others.length === 1 ? others[0]! : undefined;
  const hasMessages = (meta?.lastSequenceId ?? 0) > 0;
  return {
    chatRoomCode: entry.code,
    participants,
    chatPartnerId: partner?.userId ?? null,
    chatPartnerName: partner ? partner.name : others.map((p) => p.name).join(', '),
    avatarUrl: partner?.avatarUrl ?? null,
    lastMessage: hasMessages ? meta!.lastMessage : '',
    lastMessageType: hasMessages ? meta!.lastMessageType : null,
    lastMessageAt: meta?.lastMessageAt ?? new Date(entry.score).toISOString(),
    lastSequenceId: meta?.lastSequenceId ?? 0,
    unreadCount,
  };
}
