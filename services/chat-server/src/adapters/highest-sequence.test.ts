import type { MessageModel } from '@sunsu/archive';
import type { Database } from '@sunsu/db';
import type { Admin, TopicPartitionOffset } from '@sunsu/kafka';
import { createLogger } from '@sunsu/observability';
import { createHighestSequence } from './highest-sequence.ts';

/** Kafka where the persist stage catches up with offset 10 after `behindPolls` polls of its group offsets. */
function fakeAdmin(behindPolls: number) {
  const calls = { endOffsets: 0, groupOffsets: 0 };
  let polls = 0;
  const admin = {
    endOffsets: async (): Promise<TopicPartitionOffset[]> => {
      calls.endOffsets++;
      return [{ topic: 'chat-message', partition: 0, offset: '10' }];
    },
    groupOffsets: async (): Promise<TopicPartitionOffset[]> => {
      calls.groupOffsets++;
      return [{ topic: 'chat-message', partition: 0, offset: polls++ < behindPolls ? '5' : '10' }];
    },
  };
  return { admin: admin as unknown as Admin, calls, reset: () => void (polls = 0) };
}

// The archive's newest sequence is 40 in every room; Postgres' meta trails it.
const messages = { find: () => ({ sort: () => ({ limit: () => ({ lean: async () => [{ sequenceId: 40 }] }) }) }) } as unknown as MessageModel;
const db = { select: () => ({ from: () => ({ where: async () => [{ last: 30 }] }) }) } as unknown as Database;

describe('createHighestSequence', () => {
  it('waits for the persist stage once for 50 rooms rebuilding at once, and anew after a later loss', async () => {
    const kafka = fakeAdmin(3);
    const highest = createHighestSequence({ messages, db, kafkaAdmin: kafka.admin, logger: createLogger('test', 'silent') });
    const rooms = Array.from({ length: 50 }, (_, i) => `room-${i}`);

    // Half arrive first; the other half while that wait is still polling: all of them share it.
    const first = rooms.slice(0, 25).map((r) => highest(r));
    await new Promise((r) => setTimeout(r, 50));
    expect(kafka.calls.groupOffsets).toBeGreaterThan(0);
    const late = rooms.slice(25).map((r) => highest(r));
    expect(await Promise.all([...first, ...late])).toEqual(rooms.map(() => 40));
    expect(kafka.calls).toEqual({ endOffsets: 1, groupOffsets: 4 });

    // A later loss (the shared wait has settled) measures the pipeline again.
    kafka.reset();
    expect(await Promise.all(rooms.map((r) => highest(r)))).toEqual(rooms.map(() => 40));
    expect(kafka.calls).toEqual({ endOffsets: 2, groupOffsets: 8 });
  });
});
