import { IMAGE_PREVIEW, previewOf } from '@sunsu/contracts';
import { InvalidCursorError, decodeCursor, encodeCursor, type Profile } from '@sunsu/room-state';
import { listRooms, summarize, unreadAsOf, type RoomListPorts } from './room-list.ts';

const profile = (userId: string, name: string, avatarUrl: string | null = null): [string, Profile] => [userId, { userId, name, avatarUrl, role: 'couple' }];
const meta = { lastSequenceId: 7, lastMessage: 'see you', lastMessageType: 'TEXT' as const, lastMessageAt: '2026-11-29T06:00:00.000Z' };

describe('room summaries', () => {
  it('names the partner of a 1:1 room and lists participants in id order', () => {
    const s = summarize('20', { code: 'r1', score: 1 }, ['20', '3'], new Map([profile('3', 'Planner Kim', 'https://x/a.png'), profile('20', 'Me')]), meta, 2);
    expect(s).toEqual({
      chatRoomCode: 'r1',
      participants: [
        { userId: '3', name: 'Planner Kim', avatarUrl: 'https://x/a.png' },
        { userId: '20', name: 'Me', avatarUrl: null },
      ],
      chatPartnerId: '3',
      chatPartnerName: 'Planner Kim',
      avatarUrl: 'https://x/a.png',
      lastMessage: 'see you',
      lastMessageType: 'TEXT',
      lastMessageAt: '2026-11-29T06:00:00.000Z',
      lastSequenceId: 7,
      unreadCount: 2,
    });
  });

  it('joins the other names of a group room and falls back to a placeholder for unknown users', () => {
    const s = summarize('1', { code: 'g', score: 5 }, ['1', '2', '3'], new Map([profile('2', 'Ann')]), null, 0);
    expect(s.chatPartnerId).toBeNull();
    expect(s.chatPartnerName).toBe('Ann, User 3');
    expect(s.lastMessage).toBe('');
    expect(s.lastMessageType).toBeNull();
    expect(s.lastMessageAt).toBe(new Date(5).toISOString());
  });

  it('previews image messages as images, not by file name', () => {
    expect(previewOf('IMAGE', 'IMG_0001.webp')).toBe(IMAGE_PREVIEW);
    expect(previewOf('TEXT', 'hi')).toBe('hi');
  });

  it('counts unread only for rooms with messages above the last-read', async () => {
    const counted: string[] = [];
    const ports: RoomListPorts = {
      page: async () => ({ entries: [{ code: 'a', score: 2 }, { code: 'b', score: 1 }], nextCursor: 'next' }),
      participants: async () => ['1', '2'],
      profiles: async () => new Map(),
      meta: async (code) => (code === 'a' ? meta : { ...meta, lastSequenceId: 3 }),
      lastReads: async (code) => new Map([['1', code === 'a' ? 5 : 3]]),
      countUnread: async (code) => {
        counted.push(code);
        return 2;
      },
    };
    const page = await listRooms(ports, '1', 2);
    expect(page.data.map((r) => [r.chatRoomCode, r.unreadCount])).toEqual([['a', 2], ['b', 0]]);
    expect(counted).toEqual(['a']);
    expect(page).toMatchObject({ hasNext: true, nextCursor: 'next' });
  });

  it('counts unread as of the meta the preview comes from, not the newest archived message', async () => {
    // The archive already holds 3 messages from user 2; the meta (moved after persistence) still shows the first.
    const archive = [1, 2, 3].map((sequenceId) => ({ sequenceId, senderId: '2' }));
    const first = { ...meta, lastSequenceId: 1, lastMessage: 'one' };
    const ports: RoomListPorts = {
      page: async () => ({ entries: [{ code: 'a', score: 1 }], nextCursor: null }),
      participants: async () => ['1', '2'],
      profiles: async () => new Map(),
      meta: async () => first,
      lastReads: async () => new Map(),
      countUnread: async (_code, userId, lastRead, upTo) => archive.filter((m) => m.sequenceId > lastRead && m.sequenceId <= upTo && m.senderId !== userId).length,
    };
    const [room] = (await listRooms(ports, '1', 10)).data;
    expect(room).toMatchObject({ lastMessage: 'one', lastSequenceId: 1, unreadCount: 1 });
    expect(await unreadAsOf(ports, 'a', '1', { ...first, lastSequenceId: 3 }, 1)).toBe(2);
    expect(await unreadAsOf(ports, 'a', '1', first, 1)).toBe(0);
    expect(await unreadAsOf(ports, 'a', '1', null, 0)).toBe(0);
  });
});

describe('room-list cursors', () => {
  it('round-trip and reject anything else', () => {
    const c = { s: 'abc123', o: 10, t: 1764396000000, c: 'room-1' };
    expect(decodeCursor(encodeCursor(c))).toEqual(c);
    for (const bad of ['', 'not-a-cursor', Buffer.from('{"o":-1,"t":1,"c":"x"}').toString('base64url'), Buffer.from('{"s":"../x","o":1,"t":1,"c":"x"}').toString('base64url')]) {
      expect(() => decodeCursor(bad)).toThrow(InvalidCursorError);
    }
  });
});
