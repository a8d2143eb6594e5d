import type { ChatMessageSaved, RoomPush } from '@sunsu/contracts';

/**
 * Decide which chat-server instance gets which pushes (pure). Messages of a room are sorted by sequence so a
 * batch never delivers a room out of order; each server receives only the rooms it holds subscribers of.
 */
export function planDelivery(
  events: ChatMessageSaved[],
  routes: Map<string, string[]>,
  readBy: (e: ChatMessageSaved) => string[] = (e) => [e.senderId],
  /** Other pushes (read events) for the same rooms, delivered after the room's messages. */
  extra: RoomPush[] = [],
): Map<string, RoomPush[]> {
  const sorted = [...events].sort((a, b) => (a.chatRoomCode === b.chatRoomCode ? a.sequenceId - b.sequenceId : a.chatRoomCode < b.chatRoomCode ? -1 : 1));
  const byServer = new Map<string, RoomPush[]>();
  for (const e of sorted) {
    const push: RoomPush = {
      kind: 'message',
      roomCode: e.chatRoomCode,
      message: {
        messageId: e.messageId,
        senderId: e.senderId,
        senderName: e.senderName,
        content: e.content,
        messageType: e.messageType,
        createdAt: e.createdAt,
        sequenceId: e.sequenceId,
        readBy: readBy(e),
        fileUrl: e.fileUrl,
      },
    };
    for (const server of routes.get(e.chatRoomCode) ?? []) {
      const list = byServer.get(server);
      if (list) list.push(push);
      else byServer.set(server, [push]);
    }
  }
  for (const push of extra) {
    for (const server of routes.get(push.roomCode) ?? []) {
      const list = byServer.get(server);
      if (list) list.push(push);
      else byServer.set(server, [push]);
    }
  }
  return byServer;
}
