import { CONSUMER_GROUPS, ChatMessageSaved, TOPICS, deadLetterTopic, previewOf, type RoomPush } from '@sunsu/contracts';
import { readersOf } from '@sunsu/room-state';
import type { Consumer, IncomingBatch, MessageBus, OutgoingRecord, Producer } from '@sunsu/kafka';
import type { Logger } from '@sunsu/observability';
import type { InboxWriter, RouteRegistry } from '@sunsu/routing';
import { deadLetter } from '../dead-letter.ts';
import type { DispatcherMetrics } from '../metrics.ts';
import { planDelivery } from './plan.ts';

/** Room state the fan-out keeps current as messages are persisted (packages/room-state). */
export interface FanOutRoomState {
  onlineUsers(roomCode: string): Promise<string[]>;
  advanceLastRead(roomCode: string, userId: string, sequenceId: number): Promise<boolean>;
  lastReads(roomCode: string): Promise<Map<string, number>>;
  advanceMeta(roomCode: string, update: { sequenceId: number; preview: string; messageType: 'TEXT' | 'IMAGE'; createdAt: string }): Promise<boolean>;
  /** The room's latest activity moved to `atMs`: it moves up in every participant's room list (never down). */
  roomActivity(roomCode: string, atMs: number): Promise<void>;
}

export interface FanOutStageDeps {
  bus: MessageBus;
  roomState: FanOutRoomState;
  routes: RouteRegistry;
  inbox: InboxWriter;
  logger: Logger;
  metrics: DispatcherMetrics;
  groupId?: string;
  sessionTimeoutMs?: number;
}

/**
 * Fan-out stage: `chat-message-saved` (read_committed) → the inboxes of exactly the chat-server instances that
 * hold subscribers of each room (routing registry in Redis). No broadcast, no relay.
 *
 * Guarantee: at-least-once into each target inbox. Offsets are committed only after every push of the batch
 * was appended; a crash before that redelivers the batch and chat-server drops the duplicates (per-room
 * sequence de-duplication). A push to an instance that died is lost with it; its clients reconnect and catch
 * up with `GET /api/chat/messages/{code}?after=N`.
 */
export class FanOutStage {
  private readonly deps: FanOutStageDeps;
  private consumer: Consumer | undefined;
  private dlq: Producer | undefined;

  constructor(deps: FanOutStageDeps) {
    this.deps = deps;
  }

  async start(): Promise<void> {
    this.dlq = await this.deps.bus.producer();
    this.consumer = this.deps.bus.consumer({
      groupId: this.deps.groupId ?? CONSUMER_GROUPS.fanOut,
      topics: [TOPICS.chatMessageSaved],
      readCommitted: true,
      partitionsConsumedConcurrently: 6,
      ...(this.deps.sessionTimeoutMs ? { sessionTimeoutMs: this.deps.sessionTimeoutMs } : {}),
      onBatch: (batch) => this.onBatch(batch),
    });
    await this.consumer.start();
  }

  /** Ready once the stage's consumer joined its group. */
  joined(): boolean {
    return this.consumer?.hasJoined() ?? false;
  }

  async stop(): Promise<void> {
    await this.consumer?.stop();
    await this.dlq?.close();
  }

  /**
   * Room meta and the participants' room lists follow the newest message; the sender's last-read and that of every participant present in the
   * room follow each delivered message (monotonic, so a redelivered batch changes nothing); `readBy` is then exact
   * for any number of participants.
   */
  private async updateRoomState(events: ChatMessageSaved[]): Promise<{ readBy: Map<string, string[]>; readEvents: RoomPush[] }> {
    const state = this.deps.roomState;
    const readBy = new Map<string, string[]>();
    const readEvents: RoomPush[] = [];
    const byRoom = new Map<string, ChatMessageSaved[]>();
    for (const e of events) byRoom.set(e.chatRoomCode, [...(byRoom.get(e.chatRoomCode) ?? []), e]);
    // Rooms are independent: their updates run concurrently (ioredis pipelines them on one connection).
    await Promise.all(
      [...byRoom].map(async ([roomCode, list]) => {
        list.sort((a, b) => a.sequenceId - b.sequenceId);
        const newest = list.at(-1)!;
        // Each sender's newest message, and everyone present, up to the newest message of the batch.
        const targets = new Map<string, number>();
        for (const e of list) targets.set(e.senderId, e.sequenceId);
        const [, online] = await Promise.all([
          state.advanceMeta(roomCode, { sequenceId: newest.sequenceId, preview: previewOf(newest.messageType, newest.content), messageType: newest.messageType, createdAt: newest.createdAt }),
          state.onlineUsers(roomCode),
          state.roomActivity(roomCode, Date.parse(newest.createdAt)),
        ]);
        for (const user of online) targets.set(user, newest.sequenceId);
        const presentUsers = new Set(online);
        const moved = await Promise.all([...targets].map(async ([userId, seq]) => ((await state.advanceLastRead(roomCode, userId, seq)) ? { userId, seq } : undefined)));
        // Read events for participants who read because they are present; a sender's own message needs none
        // (its push already lists the sender in readBy).
        for (const m of moved) if (m && presentUsers.has(m.userId)) readEvents.push({ kind: 'read', roomCode, userId: m.userId, lastReadSequenceId: m.seq });
        const lastReads = await state.lastReads(roomCode);
        for (const e of list) readBy.set(`${roomCode}:${e.sequenceId}`, readersOf(e.sequenceId, e.senderId, lastReads));
      }),
    );
    return { readBy, readEvents };
  }

  private async onBatch(batch: IncomingBatch): Promise<void> {
    const events: ChatMessageSaved[] = [];
    const dead: OutgoingRecord[] = [];
    for (const record of batch.records) {
      try {
        events.push(ChatMessageSaved.parse(JSON.parse(record.value.toString('utf8'))));
      } catch (err) {
        dead.push(deadLetter(record, `invalid chat-message-saved event: ${(err as Error).message}`, 'fan-out'));
      }
    }
    for (let attempt = 1; ; attempt++) {
      if (batch.isStale()) return;
      const started = performance.now();
      try {
        if (dead.length > 0) await this.dlq!.send(deadLetterTopic(TOPICS.chatMessageSaved), dead);
        const rooms = [...new Set(events.map((e) => e.chatRoomCode))];
        const routes = rooms.length > 0 ? await this.deps.routes.liveServers(rooms) : new Map<string, string[]>();
        const { readBy, readEvents } = await this.updateRoomState(events);
        const pushed = await this.deps.inbox.deliver(planDelivery(events, routes, (e) => readBy.get(`${e.chatRoomCode}:${e.sequenceId}`) ?? [e.senderId], readEvents));
        await batch.commit(batch.records.at(-1)!.offset);
        this.deps.metrics.pushed.inc(pushed);
        this.deps.metrics.deadLettered.inc(dead.length);
        this.deps.metrics.fanOutBatchSeconds.observe((performance.now() - started) / 1000);
        return;
      } catch (err) {
        this.deps.metrics.fanOutRetries.inc();
        const delay = Math.min(20 * 2 ** attempt, 5000);
        this.deps.logger.warn({ err: (err as Error).message, partition: batch.partition, attempt, delay }, 'fan-out batch failed, retrying');
        await new Promise((r) => setTimeout(r, delay));
        await batch.heartbeat().catch(() => undefined);
      }
    }
  }
}
