import type { IncomingRecord } from '@sunsu/kafka';
import { sourceOf, toDocument, toSavedEvent } from './documents.ts';

const record = (value: string, offset = '41'): IncomingRecord => ({
  topic: 'chat-message',
  partition: 2,
  offset,
  key: 'room',
  value: Buffer.from(value),
  headers: {},
  timestamp: '0',
});

const event = {
  messageId: '2b1f7a52-6d8e-4c4e-9a51-0c1d2e3f4a5b',
  chatRoomCode: '5f0c6a3e-1111-4222-8333-444455556666',
  senderId: '7',
  senderName: 'Sender',
  content: 'hello',
  messageType: 'TEXT',
  sequenceId: 9,
  fileUrl: null,
  acceptedAt: '2026-11-29T00:00:00.000Z',
};

describe('persist documents', () => {
  it('keys the document by room, sender and messageId, stamps the acceptance time and the source position', () => {
    const now = new Date('2026-11-29T01:02:03.004Z');
    const parsed = toDocument(record(JSON.stringify(event)), now);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.doc._id).toBe(`${event.chatRoomCode}:7:${event.messageId}`);
    expect(parsed.doc.createdAt).toEqual(new Date(event.acceptedAt));
    expect(parsed.doc.source).toBe('2:41');
    expect(sourceOf(parsed.record)).toBe('2:41');
    expect(toSavedEvent(parsed.doc)).toMatchObject({ messageId: event.messageId, sequenceId: 9, createdAt: event.acceptedAt, fileUrl: null });
  });

  it('messages of one persist batch keep their acceptance order; a gateway clock ahead of the persist stage is clamped to persistence', () => {
    const now = new Date('2026-11-29T00:00:00.050Z');
    const at = (acceptedAt: string) => {
      const parsed = toDocument(record(JSON.stringify({ ...event, acceptedAt })), now);
      if (!parsed.ok) throw new Error(parsed.reason);
      return parsed.doc.createdAt.toISOString();
    };
    expect([at('2026-11-29T00:00:00.010Z'), at('2026-11-29T00:00:00.030Z')]).toEqual(['2026-11-29T00:00:00.010Z', '2026-11-29T00:00:00.030Z']);
    expect(at('2026-11-29T00:00:09.000Z')).toBe(now.toISOString());
  });

  it('turns poison records into dead letters with a reason instead of throwing', () => {
    const notJson = toDocument(record('{nope'), new Date());
    expect(notJson).toMatchObject({ ok: false, reason: 'value is not JSON' });
    const invalid = toDocument(record(JSON.stringify({ ...event, sequenceId: 0 })), new Date());
    expect(invalid.ok).toBe(false);
    if (!invalid.ok) expect(invalid.reason).toMatch(/sequenceId/);
  });
});
