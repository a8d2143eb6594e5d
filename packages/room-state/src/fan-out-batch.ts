import { redisKeys } from '@sunsu/contracts';
import { defineScripts, execOrThrow, type Redis } from '@sunsu/redis';
import type { RoomMembers } from './members.ts';
import { HYDRATED, type ReadStateStore, type RoomMetaUpdate } from './read-state.ts';
import { queueRoomActivity } from './room-order.ts';

const SCRIPTS = { room: { file: new URL('./lua/fan-out-room.lua', import.meta.url), keys: 5 } } as const;
const MOVED = 1;
const ALREADY_THERE = 0;

/** One room's share of a fan-out batch. */
export interface RoomBatchInput {
  roomCode: string;
  /** The room's newest message in the batch: the room meta and everyone present move up to it. */
  newest: RoomMetaUpdate;
  /** Each sender's newest sequence in the batch (a sender has read their own message). */
  senders: Map<string, number>;
}

/** What delivery needs to know about a room after the batch was applied. */
export interface RoomBatchOutcome {
  /** chat-server instances holding subscribers of the room (live routes). */
  servers: string[];
  /** Users with a live presence entry in the room. */
  present: string[];
  /** Users whose last-read moved in this batch, with their new position. */
  moved: { userId: string; sequenceId: number }[];
  /** Every participant's last-read after the batch. */
  lastReads: Map<string, number>;
}

type ScriptReply = [metaState: number, servers: string[], present: string[], states: (string | number)[], lastReads: string[], members: string[]];

/**
 * The fan-out's room state, per batch instead of per message: one script call per room (meta, routes, presence,
 * last-reads and members share the room's cluster slot), all rooms of a batch in one write (auto-pipelining),
 * then one pipeline for what lives in other slots (each participant's room list, the global dirty sets).
 * Two round trips per batch, whatever its size; Postgres is read only for rooms whose state Redis lost.
 *
 * Every update is monotonic (meta, last-reads and room-list scores only move forward), so a redelivered batch
 * changes nothing, and the dirty marks are set for "already there" too: a retry after a crash between the two
 * round trips still marks what the first attempt changed.
 */
export class FanOutBatchStore {
  private readonly redis: Redis;
  private readonly reads: ReadStateStore;
  private readonly members: RoomMembers;
  private readonly scripts;
  constructor(redis: Redis, deps: { reads: ReadStateStore; members: RoomMembers }) {
    this.redis = redis;
    this.reads = deps.reads;
    this.members = deps.members;
    this.scripts = defineScripts(redis, SCRIPTS);
  }

  async apply(rooms: RoomBatchInput[], now = Date.now()): Promise<Map<string, RoomBatchOutcome>> {
    const replies = (await Promise.all(
      rooms.map(({ roomCode, newest, senders }) =>
        this.scripts.room(
          [redisKeys.roomMeta(roomCode), redisKeys.roomPresence(roomCode), redisKeys.roomLastRead(roomCode), redisKeys.roomMembers(roomCode), redisKeys.roomRoutes(roomCode)],
          [now, newest.sequenceId, newest.preview, newest.messageType, newest.createdAt, ...[...senders].flatMap(([user, seq]) => [user, seq])],
        ),
      ),
    )) as ScriptReply[];

    const outcomes = new Map<string, RoomBatchOutcome>();
    const followUp = this.redis.pipeline();
    const dirtyRooms: string[] = [];
    const dirtyReads: string[] = [];
    await Promise.all(
      rooms.map(async (room, i) => {
        const [metaState, servers, present, states, flatReads, cachedMembers] = replies[i]!;
        if (metaState === MOVED || metaState === ALREADY_THERE) dirtyRooms.push(room.roomCode);
        const moved: RoomBatchOutcome['moved'] = [];
        for (let s = 0; s + 2 < states.length; s += 3) {
          const userId = String(states[s]);
          const state = Number(states[s + 1]);
          if (state === MOVED || state === ALREADY_THERE) dirtyReads.push(`${room.roomCode}|${userId}`);
          if (state === MOVED) moved.push({ userId, sequenceId: Number(states[s + 2]) });
        }
        // Redis lost the room's last-reads or members (eviction, restart): rebuilt from the system of record.
        const lastReads = flatReads.includes(HYDRATED) ? toReadMap(flatReads) : await this.reads.lastReads(room.roomCode);
        const members = cachedMembers.length > 0 ? cachedMembers : ((await this.members.of(room.roomCode)) ?? []);
        queueRoomActivity(followUp, room.roomCode, members, Date.parse(room.newest.createdAt));
        outcomes.set(room.roomCode, { servers, present, moved, lastReads });
      }),
    );
    if (dirtyRooms.length > 0) followUp.sadd(redisKeys.dirtyRoomMeta(), ...dirtyRooms);
    if (dirtyReads.length > 0) followUp.sadd(redisKeys.dirtyLastRead(), ...dirtyReads);
    if (followUp.length > 0) await execOrThrow(followUp);
    return outcomes;
  }
}

function toReadMap(flat: string[]): Map<string, number> {
  const out = new Map<string, number>();
  for (let i = 0; i + 1 < flat.length; i += 2) if (flat[i] !== HYDRATED) out.set(flat[i]!, Number(flat[i + 1]));
  return out;
}
