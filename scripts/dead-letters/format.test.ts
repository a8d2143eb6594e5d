import { formatListings, formatRecord, formatReplay } from './format.ts';
import type { ReplayReport, TopicListing } from './operations.ts';
import type { DeadLetterView } from './records.ts';

const view: DeadLetterView = {
  partition: 1,
  offset: '7',
  key: 'room-1',
  stage: 'persist',
  source: 'chat-message/1/70',
  at: '2026-01-02T03:04:05.000Z',
  reason: 'invalid "json"\nat line 1',
  value: '{"a":1}',
  replayed: false,
};

describe('formatRecord', () => {
  it('prints one line with position, status and the dlt headers, strings quoted', () => {
    expect(formatRecord(view)).toBe(
      '1/7  pending  key="room-1"  stage=persist  source=chat-message/1/70  at=2026-01-02T03:04:05.000Z  reason="invalid \\"json\\"\\nat line 1"  value="{\\"a\\":1}"',
    );
    expect(formatRecord({ ...view, key: null, stage: null, source: null, at: null, reason: null, replayed: true })).toBe(
      '1/7  replayed  key=-  stage=-  source=-  at=-  reason=-  value="{\\"a\\":1}"',
    );
  });
});

describe('formatListings', () => {
  const listing: TopicListing = { topic: 'chat-message.DLT', total: 3, notReplayed: 2, records: [view], incomplete: [] };

  it('prints counts per topic, the shown records and how many are hidden', () => {
    expect(formatListings([listing]).split('\n')).toEqual([
      'chat-message.DLT: 3 dead letters, 2 not replayed',
      `  ${formatRecord(view)}`,
      '  … 2 more not shown (--limit 0 shows all)',
    ]);
  });

  it('says so when there is no dead-letter topic, and notes partitions not read to the end', () => {
    expect(formatListings([])).toBe('no dead-letter topics (*.DLT)');
    expect(formatListings([{ ...listing, total: 1, notReplayed: 1, incomplete: [2] }])).toContain('partition 2 not read to the end');
    expect(formatListings([{ ...listing, total: 1, notReplayed: 0, records: [] }]).split('\n')[0]).toBe('chat-message.DLT: 1 dead letter, 0 not replayed');
  });
});

describe('formatReplay', () => {
  const report: ReplayReport = {
    topic: 't.DLT',
    group: 'g',
    dryRun: false,
    pending: 3,
    replayed: [{ from: 't.DLT/0/4', to: 't', key: 'k', reason: 'boom' }],
    remaining: 2,
    incomplete: [],
  };

  it('prints what was replayed and where to', () => {
    expect(formatReplay(report).split('\n')).toEqual(['t.DLT: replayed 1 dead letter, 2 still pending (group g)', '  t.DLT/0/4 -> t  key="k"  reason="boom"']);
  });

  it('tells a dry run apart, and an empty run', () => {
    expect(formatReplay({ ...report, dryRun: true, remaining: 3 })).toMatch(/^t\.DLT: dry run, would replay 1 of 3 pending dead letters \(nothing produced/);
    expect(formatReplay({ ...report, pending: 0, replayed: [], remaining: 0 })).toBe('t.DLT: nothing to replay (no dead letter pending for group g)');
  });
});
