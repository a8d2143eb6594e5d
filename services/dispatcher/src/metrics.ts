import { Counter, Histogram, type Registry } from '@sunsu/observability';

export interface DispatcherMetrics {
  persisted: Counter;
  persistRetries: Counter;
  redelivered: Counter;
  persistBatchSeconds: Histogram;
  persistInsertSeconds: Histogram;
  persistCommitSeconds: Histogram;
  sequenceConflicts: Counter;
  deadLettered: Counter;
  fenced: Counter;
  pushed: Counter;
  fanOutBatchSeconds: Histogram;
  fanOutRetries: Counter;
  fanOutParked: Counter;
}

export function createDispatcherMetrics(registry: Registry): DispatcherMetrics {
  const registers = [registry];
  return {
    persisted: new Counter({ name: 'dispatcher_messages_persisted_total', help: 'Messages archived and emitted to chat-message-saved', registers }),
    persistRetries: new Counter({ name: 'dispatcher_persist_retries_total', help: 'Persist batch attempts that failed and were retried', registers }),
    redelivered: new Counter({ name: 'dispatcher_messages_already_archived_total', help: 'Records whose message was already archived (redelivery after a crash, or a client resend)', registers }),
    persistBatchSeconds: new Histogram({ name: 'dispatcher_persist_batch_seconds', help: 'Time to archive and commit one batch', registers, buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5] }),
    persistInsertSeconds: new Histogram({ name: 'dispatcher_persist_insert_seconds', help: 'Archive write of one batch', registers, buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1] }),
    persistCommitSeconds: new Histogram({ name: 'dispatcher_persist_commit_seconds', help: 'Kafka transaction (saved events + offsets + commit) of one batch', registers, buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1] }),
    sequenceConflicts: new Counter({ name: 'dispatcher_sequence_conflicts_total', help: 'Messages whose (room, sequence) was already taken (dead-lettered)', registers }),
    deadLettered: new Counter({ name: 'dispatcher_dead_lettered_total', help: 'Records sent to a dead-letter topic', registers }),
    fenced: new Counter({ name: 'dispatcher_producer_fenced_total', help: 'Transactions refused because a newer owner fenced this producer', registers }),
    pushed: new Counter({ name: 'dispatcher_pushes_total', help: 'Pushes appended to chat-server inboxes', registers }),
    fanOutBatchSeconds: new Histogram({ name: 'dispatcher_fanout_batch_seconds', help: 'Time to route and deliver one batch', registers, buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1] }),
    fanOutRetries: new Counter({ name: 'dispatcher_fanout_retries_total', help: 'Fan-out attempts that failed and were retried', registers }),
    fanOutParked: new Counter({ name: 'dispatcher_fanout_batches_parked_total', help: 'Fan-out batches given up after every attempt and sent to the dead-letter topic', registers }),
  };
}
