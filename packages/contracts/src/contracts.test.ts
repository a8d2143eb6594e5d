import { redisKeys, ChatMessageRequested, UserId, allTopics, deadLetterTopic, TOPICS } from '@sunsu/contracts';

const hashTag = (key: string) => /\{([^}]*)\}/.exec(key)?.[1];

describe('redis key builders', () => {
  it('put every key of one room in the same cluster slot (same hash tag)', () => {
    const code = '5f0c6a3e-1111-4222-8333-444455556666';
    const roomKeys = [redisKeys.roomSequence, redisKeys.roomMembers, redisKeys.roomMeta, redisKeys.roomLastRead, redisKeys.roomPresence, redisKeys.roomRoutes].map((k) => k(code));
    expect(new Set(roomKeys.map(hashTag))).toEqual(new Set([code]));
    expect(new Set(roomKeys).size).toBe(roomKeys.length);
  });
  it('tag user keys by user id', () => {
    expect(hashTag(redisKeys.userRooms('42'))).toBe('42');
    expect(hashTag(redisKeys.userProfile('42'))).toBe('42');
  });
});

describe('event schemas', () => {
  const valid = {
    messageId: '2b1f7a52-6d8e-4c4e-9a51-0c1d2e3f4a5b',
    chatRoomCode: '5f0c6a3e-1111-4222-8333-444455556666',
    senderId: 7,
    senderName: 'Couple',
    content: 'hello',
    messageType: 'TEXT',
    sequenceId: 1,
    acceptedAt: '2026-11-29T03:00:00.000Z',
  };
  it('normalise user ids to decimal strings and default fileUrl to null', () => {
    const event = ChatMessageRequested.parse(valid);
    expect(event.senderId).toBe('7');
    expect(event.fileUrl).toBeNull();
  });
  it('reject content over 1,000 characters, unknown types and non-positive sequences', () => {
    expect(ChatMessageRequested.safeParse({ ...valid, content: 'x'.repeat(1001) }).success).toBe(false);
    expect(ChatMessageRequested.safeParse({ ...valid, messageType: 'VIDEO' }).success).toBe(false);
    expect(ChatMessageRequested.safeParse({ ...valid, sequenceId: 0 }).success).toBe(false);
  });
  it('accept only positive int64 user ids', () => {
    expect(UserId.parse('9223372036854775807')).toBe('9223372036854775807');
    for (const bad of ['0', '-1', '01', 'abc', '99999999999999999999']) expect(UserId.safeParse(bad).success).toBe(false);
  });
});

describe('topics', () => {
  it('list each stage topic with its dead-letter topic', () => {
    expect(allTopics()).toEqual([TOPICS.chatMessage, TOPICS.chatMessageSaved, deadLetterTopic(TOPICS.chatMessage), deadLetterTopic(TOPICS.chatMessageSaved)]);
    expect(deadLetterTopic('chat-message')).toBe('chat-message.DLT');
  });
});
