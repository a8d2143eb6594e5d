import type { RoomPush } from '@sunsu/contracts';

/** An inbox entry that is not a push this instance can deliver; skipped, never retried. */
export class BadInboxEntryError extends Error {
  readonly entryId: string;
  constructor(entryId: string, reason: string) {
    super(`bad inbox entry ${entryId}: ${reason}`);
    this.name = 'BadInboxEntryError';
    this.entryId = entryId;
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Whether the fields the delivery hub reads are there, so a malformed push fails here and not mid-batch. */
function isRoomPush(v: unknown): v is RoomPush {
  if (!isRecord(v) || typeof v.roomCode !== 'string') return false;
  switch (v.kind) {
    case 'message':
      return isRecord(v.message) && typeof v.message.sequenceId === 'number';
    case 'read':
      return typeof v.userId === 'string' && typeof v.lastReadSequenceId === 'number';
    case 'typing':
      return typeof v.userId === 'string' && typeof v.typing === 'boolean';
    case 'presence':
      return typeof v.userId === 'string' && (v.status === 'online' || v.status === 'offline');
    default:
      return false;
  }
}

/** One stream entry (`p` → JSON push) as written by InboxWriter; throws BadInboxEntryError otherwise. */
export function parseInboxEntry(id: string, fields: string[]): RoomPush {
  const at = fields.findIndex((f, i) => i % 2 === 0 && f === 'p');
  const raw = at >= 0 ? fields[at + 1] : undefined;
  if (raw === undefined) throw new BadInboxEntryError(id, 'no push field');
  let push: unknown;
  try {
    push = JSON.parse(raw);
  } catch (err) {
    throw new BadInboxEntryError(id, `invalid JSON (${(err as Error).message})`);
  }
  if (!isRoomPush(push)) throw new BadInboxEntryError(id, 'not a room push');
  return push;
}
