import {
  afterPage,
  applyRead,
  applyRoomMessage,
  catchUpCursor,
  decodeClaims,
  formatClock,
  formatListTime,
  hasGap,
  imageProblem,
  initialPager,
  lastSequence,
  mergeMessages,
  newMessageId,
  nextPageQuery,
  pageEnd,
  previewText,
  roomTitle,
  sortRooms,
  unescapeHeader,
  unreadMarker,
} from './logic.ts';
import type { ChatMessage, ChatRoomSummary } from './types.ts';

const msg = (sequenceId: number, over: Partial<ChatMessage> = {}): ChatMessage => ({
  messageId: `m${sequenceId}`,
  senderId: '1',
  senderName: 'A',
  content: `text ${sequenceId}`,
  messageType: 'TEXT',
  createdAt: new Date(Date.UTC(2026, 10, 29, 10, sequenceId)).toISOString(),
  sequenceId,
  readBy: ['1'],
  fileUrl: null,
  ...over,
});

const room = (code: string, over: Partial<ChatRoomSummary> = {}): ChatRoomSummary => ({
  chatRoomCode: code,
  participants: [],
  chatPartnerId: '2',
  chatPartnerName: 'B',
  avatarUrl: null,
  lastMessage: null,
  lastMessageType: null,
  lastMessageAt: null,
  lastSequenceId: 0,
  unreadCount: 0,
  ...over,
});

describe('mergeMessages', () => {
  it('orders by sequence and keeps each sequence once across history, pushes and catch-up', () => {
    const history = [msg(3), msg(2), msg(1)];
    const merged = mergeMessages([], history);
    expect(merged.map((m) => m.sequenceId)).toEqual([1, 2, 3]);
    const again = mergeMessages(merged, [msg(3), msg(4), msg(2)]);
    expect(again.map((m) => m.sequenceId)).toEqual([1, 2, 3, 4]);
  });
  it('never loses readers when an older copy of a message arrives after a read event', () => {
    const read = mergeMessages([], [msg(1, { readBy: ['1', '2'] })]);
    const stale = mergeMessages(read, [msg(1, { readBy: ['1'] })]);
    expect(stale[0]!.readBy).toEqual(['1', '2']);
  });
  it('does not mutate its inputs', () => {
    const current = [msg(2)];
    mergeMessages(current, [msg(1)]);
    expect(current.map((m) => m.sequenceId)).toEqual([2]);
  });
});

describe('read markers', () => {
  it('counts participants who have not read, for any room size', () => {
    expect(unreadMarker(2, ['1'])).toBe(1);
    expect(unreadMarker(2, ['1', '2'])).toBe(0);
    expect(unreadMarker(4, ['1', '2'])).toBe(2);
    expect(unreadMarker(2, ['1', '1'])).toBe(1);
    expect(unreadMarker(1, ['1', '2'])).toBe(0);
  });
  it('a read event adds the reader to every message up to its sequence', () => {
    const after = applyRead([msg(1), msg(2), msg(3)], { userId: '2', lastReadSequenceId: 2 });
    expect(after.map((m) => m.readBy)).toEqual([['1', '2'], ['1', '2'], ['1']]);
    expect(after.map((m) => unreadMarker(2, m.readBy))).toEqual([0, 0, 1]);
  });
});

describe('gaps and cursors', () => {
  it('detects a missed push, also once a later push arrived after it', () => {
    expect(hasGap([], null)).toBe(false);
    expect(hasGap([msg(1), msg(2), msg(3)], 2)).toBe(false);
    // 3 was dropped, 4 arrived: still a gap after 4 was merged, and after 5 too.
    expect(hasGap([msg(1), msg(2), msg(4)], 2)).toBe(true);
    expect(hasGap([msg(1), msg(2), msg(4), msg(5)], 2)).toBe(true);
    expect(lastSequence([msg(1), msg(7)])).toBe(7);
    expect(lastSequence([])).toBe(0);
  });
  it('catches up from the highest contiguous sequence held, not the newest', () => {
    // History page ended at 2; pushes 3 and 5 arrived, 4 was missed: fetch after 3, which returns 4 again.
    expect(catchUpCursor([msg(1), msg(2), msg(3), msg(5)], 2)).toBe(3);
    expect(catchUpCursor([msg(1), msg(2), msg(3), msg(5), msg(6)], 2)).toBe(3);
    // Nothing missing: the newest.
    expect(catchUpCursor([msg(1), msg(2), msg(3)], 2)).toBe(3);
    // Everything held is older than the page end (an empty room, an older page): the page end.
    expect(catchUpCursor([], 0)).toBe(0);
    expect(catchUpCursor([msg(1)], 9)).toBe(9);
  });
  it('skips numbers the server itself never listed once a page covered them', () => {
    // A catch-up page after 3 returned only 5 (4 was allocated but never persisted): the page end is 5.
    const held = [msg(1), msg(2), msg(3), msg(5)];
    const synced = pageEnd([msg(5)], 3);
    expect(synced).toBe(5);
    expect(catchUpCursor(held, synced)).toBe(5);
    expect(hasGap(held, synced)).toBe(false);
    expect(hasGap([...held, msg(7)], synced)).toBe(true);
  });
  it('before any page arrived, the run starts at the oldest message held', () => {
    expect(catchUpCursor([msg(61), msg(62)], null)).toBe(62);
    expect(catchUpCursor([msg(61), msg(63)], null)).toBe(61);
    expect(hasGap([msg(61), msg(63)], null)).toBe(true);
    expect(catchUpCursor([], null)).toBe(0);
  });
  it('takes the end of a page in either order, never below the floor', () => {
    expect(pageEnd([msg(9), msg(8)], 0)).toBe(9);
    expect(pageEnd([msg(8), msg(9)], 3)).toBe(9);
    expect(pageEnd([], 4)).toBe(4);
  });
  it('pages backwards by the oldest sequence held and stops at the end', () => {
    let s = initialPager;
    expect(nextPageQuery(s, 30)).toEqual({ size: 30 });
    s = afterPage(s, [msg(60), msg(59), msg(31)], true);
    expect(nextPageQuery(s, 30)).toEqual({ size: 30, before: 31 });
    expect(nextPageQuery({ ...s, loading: true }, 30)).toBeNull();
    s = afterPage(s, [msg(30), msg(1)], false);
    expect(s.oldest).toBe(1);
    expect(nextPageQuery(s, 30)).toBeNull();
  });
  it('an empty page ends paging and keeps the cursor', () => {
    const s = afterPage({ oldest: 5, hasMore: true, loading: true }, [], true);
    expect(s).toEqual({ oldest: 5, hasMore: false, loading: false });
  });
});

describe('room list', () => {
  it('orders by latest message, rooms without messages last', () => {
    const rooms = [room('a'), room('b', { lastMessageAt: '2026-11-29T10:00:00Z', lastSequenceId: 1 }), room('c', { lastMessageAt: '2026-11-29T11:00:00+09:00', lastSequenceId: 1 })];
    expect(sortRooms(rooms).map((r) => r.chatRoomCode)).toEqual(['b', 'c', 'a']);
  });
  it('a pushed message moves its room up and counts as unread unless mine or viewed', () => {
    const rooms = [room('a', { lastMessageAt: '2026-11-29T10:00:00Z', lastSequenceId: 4 }), room('b', { lastMessageAt: '2026-11-29T09:00:00Z', lastSequenceId: 2 })];
    const pushed = msg(3, { senderId: '2', createdAt: '2026-11-29T10:05:00Z', content: 'hi' });
    const next = applyRoomMessage(rooms, 'b', pushed, '1', false);
    expect(next.map((r) => r.chatRoomCode)).toEqual(['b', 'a']);
    expect(next[0]).toMatchObject({ unreadCount: 1, lastMessage: 'hi', lastSequenceId: 3 });
    expect(applyRoomMessage(next, 'b', pushed, '1', false)[0]!.unreadCount).toBe(1);
    const mine = applyRoomMessage(rooms, 'b', { ...pushed, senderId: '1' }, '1', false);
    expect(mine[0]!.unreadCount).toBe(0);
    const viewed = applyRoomMessage(rooms, 'b', pushed, '1', true);
    expect(viewed[0]!.unreadCount).toBe(0);
  });
  it('previews images as a photo, never by file name', () => {
    expect(previewText({ lastMessage: 'IMG_0001.png', lastMessageType: 'IMAGE' })).toBe('Photo');
    expect(previewText({ lastMessage: 'hello', lastMessageType: 'TEXT' })).toBe('hello');
    expect(previewText({ lastMessage: '', lastMessageType: null })).toBe('No messages yet');
  });
});

describe('formatting', () => {
  it('shows a clock today, "Yesterday", then a date', () => {
    const now = new Date(2026, 10, 29, 15, 0);
    expect(formatListTime(new Date(2026, 10, 29, 9, 5).toISOString(), now)).toBe('09:05');
    expect(formatListTime(new Date(2026, 10, 28, 23, 59).toISOString(), now)).toBe('Yesterday');
    expect(formatListTime(new Date(2026, 0, 2, 1, 0).toISOString(), now)).toBe('2026.01.02');
    expect(formatListTime(null, now)).toBe('');
    expect(formatListTime('garbage', now)).toBe('');
    expect(formatClock(new Date(2026, 10, 29, 7, 3).toISOString())).toBe('07:03');
  });
  it('checks images before upload', () => {
    expect(imageProblem({ type: 'image/png', size: 10 }, 100)).toBeNull();
    expect(imageProblem({ type: 'text/plain', size: 10 }, 100)).toMatch(/PNG, JPEG, GIF or WebP/);
    expect(imageProblem({ type: 'image/gif', size: 101 }, 100)).toMatch(/too large/);
  });
  it('decodes display claims of a token (UTF-8 names included)', () => {
    const payload = Buffer.from(JSON.stringify({ sub: '7', name: '김 신부', role: 'couple' })).toString('base64url');
    expect(decodeClaims(`h.${payload}.s`)).toEqual({ sub: '7', name: '김 신부', role: 'couple' });
    expect(decodeClaims('nonsense')).toBeNull();
  });
});

describe('STOMP header values', () => {
  it('undoes STOMP 1.2 escaping and leaves plain text alone', () => {
    expect(unescapeHeader('authentication failed\\c invalid token')).toBe('authentication failed: invalid token');
    expect(unescapeHeader('a\\\\b\\nc')).toBe('a\\b\nc');
    expect(unescapeHeader('plain: text')).toBe('plain: text');
  });
});

describe('room titles', () => {
  it('names the partner of a 1:1 room, the others of a group, or the room', () => {
    expect(roomTitle(room('abcdef0123', { chatPartnerName: 'Planner Lee' }), '1', 'abcdef0123')).toBe('Planner Lee');
    const group = room('abcdef0123', {
      chatPartnerName: null,
      participants: [
        { userId: '1', name: 'Me', avatarUrl: null },
        { userId: '2', name: 'Do', avatarUrl: null },
        { userId: '3', name: 'Ra', avatarUrl: null },
      ],
    });
    expect(roomTitle(group, '1', 'abcdef0123')).toBe('Do, Ra');
    expect(roomTitle(undefined, '1', 'abcdef0123')).toBe('Room abcdef01');
  });
});

describe('newMessageId', () => {
  it('uses randomUUID where the context offers it', () => {
    expect(newMessageId({ randomUUID: () => 'from-crypto', getRandomValues: (a) => a })).toBe('from-crypto');
  });

  it('builds a version-4 UUID from getRandomValues on plain-HTTP pages (no randomUUID)', () => {
    const ids = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const id = newMessageId({ getRandomValues: (a) => globalThis.crypto.getRandomValues(a) });
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      ids.add(id);
    }
    expect(ids.size).toBe(200);
  });
});
