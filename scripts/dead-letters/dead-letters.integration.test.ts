import { createKafkaBus, ProducerFencedError, type Admin, type IncomingRecord, type MessageBus, type TopicPartitionOffset } from '@sunsu/kafka';
import { infra, uniqueName } from '@sunsu/testkit';
import { deadLetter } from '../../services/dispatcher/src/dead-letter.ts';
import { runCli } from './cli.ts';
import type { ReplayReport, TopicListing } from './operations.ts';

/** Run the CLI in-process against the real broker with this test's replay group. */
async function cli(bus: MessageBus, group: string, argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { bus: () => bus, group, stdout: (t) => out.push(t), stderr: (t) => err.push(t) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

async function json<T>(bus: MessageBus, group: string, argv: string[]): Promise<T> {
  const r = await cli(bus, group, [...argv, '--json']);
  expect(r).toMatchObject({ code: 0, err: '' });
  return JSON.parse(r.out) as T;
}

interface Original {
  key: string;
  value: string;
  headers?: Record<string, string>;
  reason: string;
}

describe('dead-letters tool (real Kafka)', () => {
  let bus: MessageBus;
  let admin: Admin;

  beforeAll(async () => {
    bus = createKafkaBus({ brokers: infra().CHAT_KAFKA_BROKERS, clientId: 'it-dead-letters' });
    admin = await bus.admin();
  });
  afterAll(async () => {
    await admin.close();
  });

  /** A source topic and its .DLT with 2 partitions each. */
  async function topics(): Promise<{ source: string; dlt: string }> {
    const source = uniqueName('it-dlt-src');
    const dlt = `${source}.DLT`;
    await admin.ensureTopics([source, dlt].map((topic) => ({ topic, partitions: 2, replicationFactor: 1 })));
    return { source, dlt };
  }

  /**
   * Dead-letter records the way the persist stage does: produce originals to the source topic, read them back,
   * then write `deadLetter(record, reason, 'persist')` for each to the .DLT in one Kafka transaction.
   */
  async function writeDeadLetters(source: string, dlt: string, originals: Original[]) {
    const before = await admin.endOffsets(source);
    const producer = await bus.producer();
    await producer.send(source, originals.map((o) => ({ key: o.key, value: o.value, ...(o.headers ? { headers: o.headers } : {}) })));
    await producer.close();
    const read = await bus.readRange({ topic: source, readCommitted: true, from: before });
    expect(read.records).toHaveLength(originals.length);
    const reasonOf = new Map(originals.map((o) => [o.value, o.reason]));
    const tx = await bus.transactionalProducer(uniqueName('it-dlt-writer'));
    await tx.inTransaction((t) => t.send(dlt, read.records.map((r) => deadLetter(r, reasonOf.get(r.value.toString())!, 'persist'))));
    await tx.close();
    return read.records;
  }

  /** Records that arrived on `topic` after `since`. */
  const arrivedSince = async (topic: string, since: TopicPartitionOffset[]): Promise<IncomingRecord[]> =>
    (await bus.readRange({ topic, readCommitted: true, from: since })).records;

  it('lists, replays once, replays only new dead letters, and a dry run produces nothing', async () => {
    const { source, dlt } = await topics();
    const group = uniqueName('it-dlt-replay');
    const originals: Original[] = [
      { key: 'room-a', value: '{"text":"one"}', headers: { 'content-type': 'application/json', traceparent: '00-a-b-01' }, reason: 'invalid message: text too long' },
      { key: 'room-b', value: '{"text":"two"}', headers: { 'x-origin': 'chat-server-1' }, reason: 'sequence 7 of room room-b already used by another message' },
      { key: 'room-c', value: 'not json', reason: 'invalid JSON' },
    ];
    const sourceRecords = await writeDeadLetters(source, dlt, originals);

    // list: counts and reasons, all pending
    const [listing] = await json<{ topics: TopicListing[] }>(bus, group, ['list', '--topic', dlt]).then((r) => r.topics);
    expect(listing).toMatchObject({ topic: dlt, total: 3, notReplayed: 3, incomplete: [] });
    expect(listing!.records.map((r) => r.reason).sort()).toEqual(originals.map((o) => o.reason).sort());
    expect(listing!.records.every((r) => r.stage === 'persist' && !r.replayed && r.source?.startsWith(`${source}/`) && r.at)).toBe(true);
    const human = await cli(bus, group, ['list', '--topic', dlt]);
    expect(human.code).toBe(0);
    expect(human.out.split('\n')[0]).toBe(`${dlt}: 3 dead letters, 3 not replayed`);
    expect(human.out).toContain('reason="invalid JSON"');
    expect(human.out).toContain('value="not json"');

    // --dry-run: says what it would do, produces and commits nothing
    const sourceEnd0 = await admin.endOffsets(source);
    const dry = await json<ReplayReport>(bus, group, ['replay', '--topic', dlt, '--dry-run']);
    expect(dry).toMatchObject({ dryRun: true, pending: 3, remaining: 3 });
    expect(dry.replayed).toHaveLength(3);
    expect(await arrivedSince(source, sourceEnd0)).toHaveLength(0);
    expect((await admin.groupOffsets(group, dlt)).every((o) => o.offset === '-1')).toBe(true);

    // replay: the 3 records arrive on the source topic as they were, without dlt-* headers
    const first = await json<ReplayReport>(bus, group, ['replay', '--topic', dlt]);
    expect(first).toMatchObject({ dryRun: false, pending: 3, remaining: 0 });
    expect(first.replayed.map((r) => r.to)).toEqual([source, source, source]);
    const replayed = await arrivedSince(source, sourceEnd0);
    expect(replayed).toHaveLength(3);
    for (const original of sourceRecords) {
      const copy = replayed.find((r) => r.value.toString() === original.value.toString())!;
      expect(copy).toBeDefined();
      expect(copy.key).toBe(original.key);
      expect(copy.partition).toBe(original.partition); // same key, same partitioner
      const { 'dlt-replayed-from': from, ...rest } = copy.headers;
      expect(rest).toEqual(original.headers);
      expect(Object.keys(rest).some((h) => h.startsWith('dlt-'))).toBe(false);
      expect(from).toMatch(new RegExp(`^${dlt.replace(/\./g, '\\.')}/[01]/\\d+$`));
    }
    expect(new Set(replayed.map((r) => r.headers['dlt-replayed-from']))).toEqual(new Set(first.replayed.map((r) => r.from)));

    // replay again: nothing more is produced
    const sourceEnd1 = await admin.endOffsets(source);
    const second = await json<ReplayReport>(bus, group, ['replay', '--topic', dlt]);
    expect(second).toMatchObject({ pending: 0, remaining: 0, replayed: [] });
    expect(await arrivedSince(source, sourceEnd1)).toHaveLength(0);
    expect((await cli(bus, group, ['replay', '--topic', dlt])).out).toBe(`${dlt}: nothing to replay (no dead letter pending for group ${group})`);

    // one more dead letter: only that one is replayed
    await writeDeadLetters(source, dlt, [{ key: 'room-d', value: '{"text":"four"}', reason: 'archive rejected the document' }]);
    const afterNew = await json<{ topics: TopicListing[] }>(bus, group, ['list', '--topic', dlt]);
    expect(afterNew.topics[0]).toMatchObject({ total: 4, notReplayed: 1 });
    const sourceEnd2 = await admin.endOffsets(source);
    const dryAgain = await json<ReplayReport>(bus, group, ['replay', '--topic', dlt, '--dry-run']);
    expect(dryAgain.replayed.map((r) => r.reason)).toEqual(['archive rejected the document']);
    expect(await arrivedSince(source, sourceEnd2)).toHaveLength(0);
    const third = await cli(bus, group, ['replay', '--topic', dlt]);
    expect(third.code).toBe(0);
    expect(third.out.split('\n')[0]).toBe(`${dlt}: replayed 1 dead letter, 0 still pending (group ${group})`);
    const fourth = await arrivedSince(source, sourceEnd2);
    expect(fourth.map((r) => [r.key, r.value.toString()])).toEqual([['room-d', '{"text":"four"}']]);

    const finalListing = await json<{ topics: TopicListing[] }>(bus, group, ['list', '--topic', dlt]);
    expect(finalListing.topics[0]).toMatchObject({ total: 4, notReplayed: 0 });
    expect(finalListing.topics[0]!.records.every((r) => r.replayed)).toBe(true);

    // another group has its own progress: everything is pending for it
    const other = await json<{ topics: TopicListing[] }>(bus, uniqueName('it-dlt-other'), ['list', '--topic', dlt]);
    expect(other.topics[0]).toMatchObject({ total: 4, notReplayed: 4 });
  });

  it('--limit replays the oldest dead letters first and leaves the rest for the next run', async () => {
    const { source, dlt } = await topics();
    const group = uniqueName('it-dlt-replay');
    // One key: all on one partition, in order.
    await writeDeadLetters(source, dlt, ['m1', 'm2', 'm3'].map((value) => ({ key: 'room-x', value, reason: `bad ${value}` })));
    const since = await admin.endOffsets(source);
    const first = await json<ReplayReport>(bus, group, ['replay', '--topic', dlt, '--limit', '2']);
    expect(first).toMatchObject({ pending: 3, remaining: 1 });
    expect((await arrivedSince(source, since)).map((r) => r.value.toString())).toEqual(['m1', 'm2']);
    const second = await json<ReplayReport>(bus, group, ['replay', '--topic', dlt, '--limit', '2']);
    expect(second).toMatchObject({ pending: 1, remaining: 0 });
    expect((await arrivedSince(source, since)).map((r) => r.value.toString())).toEqual(['m1', 'm2', 'm3']);
  });

  it('sends a dead letter to the topic named in dlt-source, else to the .DLT name minus .DLT', async () => {
    const { source, dlt } = await topics();
    const elsewhere = uniqueName('it-dlt-elsewhere');
    await admin.ensureTopics([{ topic: elsewhere, partitions: 1, replicationFactor: 1 }]);
    const group = uniqueName('it-dlt-replay');
    const producer = await bus.producer();
    await producer.send(dlt, [
      { key: 'k1', value: 'to-elsewhere', headers: { 'dlt-source': `${elsewhere}/0/12`, 'dlt-reason': 'r1' } },
      { key: 'k1', value: 'to-source', headers: { 'dlt-reason': 'r2' } },
    ]);
    await producer.close();
    const [sourceSince, elsewhereSince] = [await admin.endOffsets(source), await admin.endOffsets(elsewhere)];
    const report = await json<ReplayReport>(bus, group, ['replay', '--topic', dlt]);
    expect(report.replayed.map((r) => r.to)).toEqual([elsewhere, source]);
    expect((await arrivedSince(elsewhere, elsewhereSince)).map((r) => r.value.toString())).toEqual(['to-elsewhere']);
    expect((await arrivedSince(source, sourceSince)).map((r) => r.value.toString())).toEqual(['to-source']);
  });

  it('a replay fences an older replay of the same topic that is still running', async () => {
    const { source, dlt } = await topics();
    const group = uniqueName('it-dlt-replay');
    await writeDeadLetters(source, dlt, [{ key: 'room-f', value: 'f', reason: 'r' }]);
    // The older replay: same group and topic, so the same transactional id.
    const older = await bus.transactionalProducer(`${group}-${dlt}`);
    await older.init();
    expect((await json<ReplayReport>(bus, group, ['replay', '--topic', dlt])).replayed).toHaveLength(1);
    await expect(older.inTransaction((tx) => tx.send(source, [{ key: 'room-f', value: 'again' }]))).rejects.toBeInstanceOf(ProducerFencedError);
    await older.close();
  });

  it('refuses unknown topics, non-DLT topics and missing source topics with exit code 2, sending nothing', async () => {
    const group = uniqueName('it-dlt-replay');
    const unknown = await cli(bus, group, ['list', '--topic', uniqueName('it-dlt-none') + '.DLT']);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/^dead-letters: unknown topic it-dlt-none-.*\.DLT; dead-letter topics: /);

    const { source, dlt } = await topics();
    expect((await cli(bus, group, ['replay', '--topic', source])).code).toBe(2);

    const producer = await bus.producer();
    await producer.send(dlt, [{ key: 'k', value: 'v', headers: { 'dlt-source': `${uniqueName('it-dlt-gone')}/0/1` } }]);
    await producer.close();
    const missing = await cli(bus, group, ['replay', '--topic', dlt]);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/source topic it-dlt-gone-.* does not exist/);
    expect((await admin.groupOffsets(group, dlt)).every((o) => o.offset === '-1')).toBe(true);
  });
});
