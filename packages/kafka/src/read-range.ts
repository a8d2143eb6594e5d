import { randomBytes } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import type { IncomingRecord, RangeRead, ReadRangeOptions } from './port.ts';
import { toIncoming } from './records.ts';
import { RETRY } from './retry.ts';

/**
 * Bounded read of one topic. kafkajs has no manual partition assignment, so the read joins a throwaway group
 * (deleted afterwards, no offsets committed), seeks every partition to its start and stops once every partition
 * reached the end offset observed at the start. Progress is tracked from the batch events, which also report
 * batches made only of control records or aborted records, so a partition ending in a transaction marker completes.
 */
export async function readRange(kafka: Kafka, clientId: string, options: ReadRangeOptions): Promise<RangeRead> {
  const { topic } = options;
  const idleTimeoutMs = options.idleTimeoutMs ?? 10_000;
  const admin = kafka.admin({ retry: RETRY });
  await admin.connect();
  try {
    const requested = new Map((options.from ?? []).map((o) => [o.partition, BigInt(o.offset)]));
    const partitions = (await admin.fetchTopicOffsets(topic))
      .map((w) => {
        const low = BigInt(w.low);
        const end = BigInt(w.high);
        const wanted = requested.get(w.partition) ?? low;
        const from = wanted < low ? low : wanted > end ? end : wanted;
        return { partition: w.partition, from, end, next: from, delivered: from };
      })
      .sort((a, b) => a.partition - b.partition);
    const byPartition = new Map(partitions.map((p) => [p.partition, p]));
    const records: IncomingRecord[] = [];
    const pending = () => partitions.filter((p) => p.next < p.end);

    if (pending().length > 0) {
      const groupId = `${clientId}-read-${randomBytes(6).toString('hex')}`;
      const consumer = kafka.consumer({
        groupId,
        readUncommitted: !options.readCommitted,
        maxWaitTimeInMs: 100,
        retry: { ...RETRY, restartOnFailure: async () => false },
      });
      let lastProgress = Date.now();
      let crash: Error | undefined;
      consumer.on(consumer.events.GROUP_JOIN, () => {
        lastProgress = Date.now();
      });
      consumer.on(consumer.events.END_BATCH_PROCESS, (event) => {
        const p = byPartition.get(event.payload.partition);
        const reached = BigInt(event.payload.lastOffset) + 1n;
        if (event.payload.topic === topic && p && reached > p.next) {
          p.next = reached;
          lastProgress = Date.now();
        }
      });
      consumer.on(consumer.events.CRASH, (event) => {
        crash = event.payload.error;
      });
      await consumer.connect();
      try {
        await consumer.subscribe({ topic, fromBeginning: true });
        const running = consumer.run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            const p = byPartition.get(batch.partition);
            if (!p) return;
            for (const m of batch.messages) {
              const offset = BigInt(m.offset);
              if (offset < p.delivered || offset >= p.end) continue;
              p.delivered = offset + 1n;
              records.push(toIncoming(topic, batch.partition, m));
            }
          },
        });
        // The group exists once run() was called; seeks given before the join apply to the first fetch.
        for (const p of partitions) consumer.seek({ topic, partition: p.partition, offset: p.from.toString() });
        await running;
        for (;;) {
          if (crash) throw crash;
          if (pending().length === 0 || Date.now() - lastProgress > idleTimeoutMs) break;
          await new Promise((r) => setTimeout(r, 20));
        }
      } finally {
        await consumer.disconnect();
        await admin.deleteGroups([groupId]).catch(() => undefined);
      }
    }
    records.sort((a, b) => a.partition - b.partition || (BigInt(a.offset) < BigInt(b.offset) ? -1 : 1));
    return {
      records,
      partitions: partitions.map((p) => ({
        partition: p.partition,
        from: p.from.toString(),
        end: p.end.toString(),
        next: (p.next < p.end ? p.next : p.end).toString(),
      })),
    };
  } finally {
    await admin.disconnect();
  }
}
