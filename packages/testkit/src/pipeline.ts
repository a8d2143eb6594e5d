import { CONSUMER_GROUPS, TOPICS } from '@sunsu/contracts';
import { createKafkaBus, type Admin, type TopicPartitionOffset } from '@sunsu/kafka';
import { infra, waitFor } from './basics.ts';

type Offsets = Map<number, bigint>;
const toMap = (list: TopicPartitionOffset[]): Offsets => new Map(list.map((o) => [o.partition, BigInt(o.offset)]));

/** Until `group` has committed at least `target` on every partition of `topic`. */
async function committedReach(admin: Admin, group: string, topic: string, target: Offsets, timeoutMs: number): Promise<void> {
  await waitFor(
    async () => {
      const committed = toMap(await admin.groupOffsets(group, topic));
      return [...target].every(([p, t]) => t === 0n || (committed.get(p) ?? -1n) >= t);
    },
    timeoutMs,
    100,
  );
}

/**
 * Waits until the message pipeline has handled everything accepted so far: the persist group has committed the
 * end of `chat-message` as it is now (its saved events are committed in the same transaction), and then the
 * fan-out group has committed past the last saved event (transaction markers follow it, so the target is the
 * last record read with read_committed, not the end offset). Pushes are appended to the inboxes before the
 * fan-out commits, so afterwards no push of those messages is still to come: a test asserts "nothing more
 * arrives" from a read instead of a quiet period.
 */
export async function waitForPipeline(timeoutMs = 30_000): Promise<void> {
  const bus = createKafkaBus({ brokers: infra().CHAT_KAFKA_BROKERS, clientId: 'testkit-pipeline' });
  const admin = await bus.admin();
  try {
    await committedReach(admin, CONSUMER_GROUPS.persist, TOPICS.chatMessage, toMap(await admin.endOffsets(TOPICS.chatMessage)), timeoutMs);
    const from = await admin.groupOffsets(CONSUMER_GROUPS.fanOut, TOPICS.chatMessageSaved);
    const pending = await bus.readRange({ topic: TOPICS.chatMessageSaved, readCommitted: true, from: from.filter((o) => BigInt(o.offset) >= 0n) });
    const target: Offsets = new Map();
    for (const r of pending.records) target.set(r.partition, BigInt(r.offset) + 1n);
    await committedReach(admin, CONSUMER_GROUPS.fanOut, TOPICS.chatMessageSaved, target, timeoutMs);
  } finally {
    await admin.close();
  }
}
