import { CONSUMER_GROUPS, ChatMessageSaved, TOPICS, deadLetterTopic, previewOf, type RoomPush } from '@sunsu/contracts';
import { readersOf, type RoomBatchInput, type RoomBatchOutcome } from '@sunsu/room-state';
import type { Consumer, ConsumerStatus, IncomingBatch, IncomingRecord, MessageBus, OutgoingRecord, Producer } from '@sunsu/kafka';
import type { Logger } from '@sunsu/observability';
import type { InboxWriter } from '@sunsu/routing';
import { deadLetter } from '../dead-letter.ts';
import type { DispatcherMetrics } from '../metrics.ts';
import { planDelivery } from './plan.ts';
import { DEFAULT_RETRY_POLICY, withRetries, type RetryPolicy } from './retry.ts';

/** Room state the fan-out keeps current as messages are persisted, one call per batch (packages/room-state). */
export interface FanOutRoomState {
  /**
   * Move each room's meta and list position up to its newest message and the last-read of its senders and of
   * everyone present; answer the room's live routes, who is present, whose last-read moved and all last-reads.
   */
  apply(rooms: RoomBatchInput[]): Promise<Map<string, RoomBatchOutcome>>;
}

export interface FanOutStageDeps {
  bus: MessageBus;
  roomState: FanOutRoomState;
  inbox: Pick<InboxWriter, 'deliver'>;
  logger: Logger;
  metrics: DispatcherMetrics;
  groupId?: string;
  /** Input topic (default: the platform's `chat-message-saved`); its dead letters go to `<topic>.DLT`. Tests give their own. */
  inputTopic?: string;
  sessionTimeoutMs?: number;
  /** How long a batch is retried before it is parked in the dead-letter topic (default: DEFAULT_RETRY_POLICY). */
  retry?: Partial<RetryPolicy>;
}

/**
 * Fan-out stage: `chat-message-saved` (read_committed) → the inboxes of exactly the chat-server instances that
 * hold subscribers of each room (routing registry in Redis). No broadcast, no relay.
 *
 * Guarantee: at-least-once into each target inbox. Offsets are committed only after every push of the batch
 * was appended; a crash before that redelivers the batch and chat-server drops the duplicates (per-room
 * sequence de-duplication). A push to an instance that died is lost with it; its clients reconnect and catch
 * up with `GET /api/chat/messages/{code}?after=N`.
 *
 * A batch that still fails after `retry.maxAttempts` (Redis unusable, a poison event) is parked: its records go
 * to `chat-message-saved.DLT` (replayable with scripts/dead-letters.ts), counted and logged once, and the offset
 * moves past it so the partition's other rooms are not held up. Clients of the parked rooms fill the gap from
 * history. Dead letters are sent once per delivered batch, after the attempts, never once per attempt.
 */
export class FanOutStage {
  private readonly deps: FanOutStageDeps;
  private readonly inputTopic: string;
  private readonly retry: RetryPolicy;
  private consumer: Consumer | undefined;
  private dlq: Producer | undefined;

  constructor(deps: FanOutStageDeps) {
    this.deps = deps;
    this.inputTopic = deps.inputTopic ?? TOPICS.chatMessageSaved;
    this.retry = { ...DEFAULT_RETRY_POLICY, ...deps.retry };
  }

  async start(): Promise<void> {
    this.dlq = await this.deps.bus.producer();
    this.consumer = this.deps.bus.consumer({
      groupId: this.deps.groupId ?? CONSUMER_GROUPS.fanOut,
      topics: [this.inputTopic],
      readCommitted: true,
      partitionsConsumedConcurrently: 6,
      ...(this.deps.sessionTimeoutMs ? { sessionTimeoutMs: this.deps.sessionTimeoutMs } : {}),
      onBatch: (batch) => this.onBatch(batch),
    });
    await this.consumer.start();
  }

  /** Ready while the stage's consumer is running in its group (not before the join, not after a crash or stop). */
  consumerStatus(): ConsumerStatus {
    return this.consumer?.status() ?? { state: 'idle' };
  }

  async stop(): Promise<void> {
    await this.consumer?.stop();
    await this.dlq?.close();
  }

  /**
   * Room meta and the participants' room lists follow the newest message; the sender's last-read and that of
   * every participant present in the room follow each delivered message (monotonic, so a redelivered batch
   * changes nothing); `readBy` is then exact for any number of participants. Then route to the inboxes of the
   * servers holding the rooms; returns the number of pushes appended.
   */
  private async deliver(events: ChatMessageSaved[]): Promise<number> {
    if (events.length === 0) return 0;
    const byRoom = new Map<string, ChatMessageSaved[]>();
    for (const e of events) {
      const list = byRoom.get(e.chatRoomCode);
      if (list) list.push(e);
      else byRoom.set(e.chatRoomCode, [e]);
    }
    const inputs: RoomBatchInput[] = [];
    for (const [roomCode, list] of byRoom) {
      list.sort((a, b) => a.sequenceId - b.sequenceId);
      const newest = list.at(-1)!;
      const senders = new Map<string, number>();
      for (const e of list) senders.set(e.senderId, e.sequenceId);
      inputs.push({ roomCode, senders, newest: { sequenceId: newest.sequenceId, preview: previewOf(newest.messageType, newest.content), messageType: newest.messageType, createdAt: newest.createdAt } });
    }
    const outcomes = await this.deps.roomState.apply(inputs);
    const routes = new Map<string, string[]>();
    const readBy = new Map<string, string[]>();
    const readEvents: RoomPush[] = [];
    for (const [roomCode, list] of byRoom) {
      const outcome = outcomes.get(roomCode);
      if (!outcome) continue;
      routes.set(roomCode, outcome.servers);
      // Read events for participants who read because they are present; a sender's own message needs none
      // (its push already lists the sender in readBy).
      const present = new Set(outcome.present);
      for (const m of outcome.moved) if (present.has(m.userId)) readEvents.push({ kind: 'read', roomCode, userId: m.userId, lastReadSequenceId: m.sequenceId });
      for (const e of list) readBy.set(`${roomCode}:${e.sequenceId}`, readersOf(e.sequenceId, e.senderId, outcome.lastReads));
    }
    return this.deps.inbox.deliver(planDelivery(events, routes, (e) => readBy.get(`${e.chatRoomCode}:${e.sequenceId}`) ?? [e.senderId], readEvents));
  }

  private async onBatch(batch: IncomingBatch): Promise<void> {
    const { logger, metrics } = this.deps;
    const started = performance.now();
    const parsed: { event: ChatMessageSaved; record: IncomingRecord }[] = [];
    const dead: OutgoingRecord[] = [];
    for (const record of batch.records) {
      try {
        parsed.push({ event: ChatMessageSaved.parse(JSON.parse(record.value.toString('utf8'))), record });
      } catch (err) {
        dead.push(deadLetter(record, `invalid chat-message-saved event: ${(err as Error).message}`, 'fan-out'));
      }
    }
    const delivered = await withRetries(batch, this.retry, () => this.deliver(parsed.map((p) => p.event)), (err, attempt, delay) => {
      metrics.fanOutRetries.inc();
      logger.warn({ err: (err as Error).message, partition: batch.partition, attempt, delay }, 'fan-out batch failed, retrying');
    });
    if (delivered.outcome === 'stale') return;
    if (delivered.outcome === 'done') {
      metrics.pushed.inc(delivered.value);
    } else {
      const reason = `fan-out gave up after ${delivered.attempts} attempts: ${(delivered.error as Error).message}`;
      dead.push(...parsed.map((p) => deadLetter(p.record, reason, 'fan-out')));
      metrics.fanOutParked.inc();
      logger.error(
        { err: (delivered.error as Error).message, partition: batch.partition, from: batch.records[0]!.offset, to: batch.records.at(-1)!.offset, events: parsed.length, attempts: delivered.attempts },
        'fan-out batch parked in the dead-letter topic',
      );
    }
    if (await this.settle(batch, dead)) metrics.fanOutBatchSeconds.observe((performance.now() - started) / 1000);
  }

  /**
   * Dead letters first, then the offset (false: the batch went stale meanwhile). A crash in between re-sends the
   * dead letters with the redelivered batch: at least once, never lost. A step Kafka refuses on every attempt
   * fails the batch, and the consumer fetches it again.
   */
  private async settle(batch: IncomingBatch, dead: OutgoingRecord[]): Promise<boolean> {
    if (dead.length > 0) {
      if (!(await this.step(batch, 'dead-letter send', () => this.dlq!.send(deadLetterTopic(this.inputTopic), dead)))) return false;
      this.deps.metrics.deadLettered.inc(dead.length);
    }
    return this.step(batch, 'offset commit', () => batch.commit(batch.records.at(-1)!.offset));
  }

  /** One settling step, retried: true once done, false if the batch went stale; throws after the last attempt. */
  private async step(batch: IncomingBatch, name: string, run: () => Promise<unknown>): Promise<boolean> {
    const result = await withRetries(batch, this.retry, run, (err, attempt, delay) =>
      this.deps.logger.warn({ err: (err as Error).message, partition: batch.partition, attempt, delay }, `fan-out ${name} failed, retrying`),
    );
    if (result.outcome === 'gave-up') throw result.error;
    return result.outcome === 'done';
  }
}
