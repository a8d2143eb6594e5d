import type { IncomingRecord } from '@sunsu/kafka';
import { isDeadLetterTopic, parseSource, replayHeaders, replayRecord, sourceTopicOf, viewOf } from './records.ts';

const deadLetter = (over: Partial<IncomingRecord> = {}): IncomingRecord => ({
  topic: 'chat-message.DLT',
  partition: 2,
  offset: '41',
  key: 'room-1',
  value: Buffer.from('{"bad":'),
  headers: {
    'content-type': 'application/json',
    traceparent: '00-abc-def-01',
    'dlt-reason': 'invalid JSON',
    'dlt-stage': 'persist',
    'dlt-source': 'chat-message/3/17',
    'dlt-at': '2026-01-02T03:04:05.000Z',
  },
  timestamp: '0',
  ...over,
});

describe('dead-letter topic names', () => {
  it('recognises <name>.DLT only', () => {
    expect(isDeadLetterTopic('chat-message.DLT')).toBe(true);
    expect(isDeadLetterTopic('chat-message')).toBe(false);
    expect(isDeadLetterTopic('.DLT')).toBe(false);
    expect(isDeadLetterTopic('chat-message.dlt')).toBe(false);
  });
});

describe('parseSource', () => {
  it('parses <topic>/<partition>/<offset>, topic names with dots, dashes and underscores included', () => {
    expect(parseSource('chat-message/3/17')).toEqual({ topic: 'chat-message', partition: 3, offset: '17' });
    expect(parseSource('a.b_c-d/0/9007199254740993')).toEqual({ topic: 'a.b_c-d', partition: 0, offset: '9007199254740993' });
  });

  it('rejects missing or malformed values', () => {
    for (const bad of [undefined, '', 'chat-message', 'chat-message/3', 'chat-message/x/1', '/1/2', 'a/b/1/2', 'chat message/1/2']) {
      expect(parseSource(bad)).toBeUndefined();
    }
  });
});

describe('sourceTopicOf', () => {
  it('takes the topic from dlt-source', () => {
    expect(sourceTopicOf({ 'dlt-source': 'other-topic/0/5' }, 'chat-message.DLT')).toBe('other-topic');
  });

  it('falls back to the dead-letter topic minus .DLT when dlt-source is absent or malformed', () => {
    expect(sourceTopicOf({}, 'chat-message.DLT')).toBe('chat-message');
    expect(sourceTopicOf({ 'dlt-source': 'garbage' }, 'my.topic.DLT')).toBe('my.topic');
  });

  it('refuses to guess for a topic that is not a dead-letter topic', () => {
    expect(() => sourceTopicOf({}, 'chat-message')).toThrow('not a dead-letter topic');
  });
});

describe('replayHeaders', () => {
  it('drops every dlt-* header (an earlier dlt-replayed-from too) and adds dlt-replayed-from', () => {
    const headers = replayHeaders(
      { a: '1', 'dlt-reason': 'r', 'dlt-stage': 's', 'dlt-source': 't/0/1', 'dlt-at': 'x', 'dlt-replayed-from': 'old.DLT/0/0', 'DLT-Custom': 'y', dltish: 'kept' },
      't.DLT/1/7',
    );
    expect(headers).toEqual({ a: '1', dltish: 'kept', 'dlt-replayed-from': 't.DLT/1/7' });
  });

  it('does not modify its input', () => {
    const input = { a: '1', 'dlt-reason': 'r' };
    replayHeaders(input, 'x.DLT/0/0');
    expect(input).toEqual({ a: '1', 'dlt-reason': 'r' });
  });
});

describe('replayRecord', () => {
  it('sends the same key and value to the source topic with the original headers', () => {
    const { topic, record } = replayRecord(deadLetter());
    expect(topic).toBe('chat-message');
    expect(record.key).toBe('room-1');
    expect(Buffer.from(record.value).toString()).toBe('{"bad":');
    expect(record.headers).toEqual({ 'content-type': 'application/json', traceparent: '00-abc-def-01', 'dlt-replayed-from': 'chat-message.DLT/2/41' });
    expect(record.partition).toBeUndefined();
  });

  it('keeps a null key', () => {
    expect(replayRecord(deadLetter({ key: null })).record.key).toBeNull();
  });
});

describe('viewOf', () => {
  it('shows the dlt headers and whether the replay group passed the record', () => {
    expect(viewOf(deadLetter(), 41n)).toEqual({
      partition: 2,
      offset: '41',
      key: 'room-1',
      stage: 'persist',
      source: 'chat-message/3/17',
      at: '2026-01-02T03:04:05.000Z',
      reason: 'invalid JSON',
      value: '{"bad":',
      replayed: false,
    });
    expect(viewOf(deadLetter(), 42n).replayed).toBe(true);
    expect(viewOf(deadLetter(), -1n).replayed).toBe(false);
  });

  it('cuts the value to its first 120 characters without splitting a character', () => {
    const value = `${'é'.repeat(119)}😀tail`;
    const view = viewOf(deadLetter({ value: Buffer.from(value) }), -1n);
    expect(view.value).toBe(`${'é'.repeat(119)}😀`);
  });

  it('shows null for missing dlt headers', () => {
    const view = viewOf(deadLetter({ headers: {} }), -1n);
    expect([view.stage, view.source, view.at, view.reason]).toEqual([null, null, null, null]);
  });
});
