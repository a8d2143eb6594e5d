import type { Principal } from '@sunsu/auth';
import type { ChatMessageRequested } from '@sunsu/contracts';

/** Rooms and their participants (system of record in Postgres, cached in Redis). */
export interface RoomDirectory {
  /** Participant ids of a room, or null when the room does not exist. */
  participants(roomCode: string): Promise<string[] | null>;
  createDirect(userA: string, userB: string): Promise<{ roomCode: string; alreadyExists: boolean }>;
  createGroup(userIds: string[]): Promise<{ roomCode: string; alreadyExists: boolean }>;
  /** Codes of every room the user takes part in (system of record). */
  roomsOf(userId: string): Promise<string[]>;
}

/** What membership checks need of the directory (send, subscribe, uploads). */
export type Membership = Pick<RoomDirectory, 'participants'>;

/** Per-room sequence numbers: allocated once per (sender, messageId), never reused. */
export interface SequenceAllocator {
  allocate(roomCode: string, senderId: string, messageId: string): Promise<{ sequenceId: number; duplicate: boolean }>;
}

/** Hands an accepted message to the pipeline; resolves only once Kafka acknowledged it (acks=all). */
export interface MessagePublisher {
  publish(event: ChatMessageRequested): Promise<void>;
}

export interface Clock {
  now(): Date;
}

/** Who acts on a room event: the authenticated user and the connection it came from (any transport). */
export interface Actor {
  principal: Principal;
  connectionId: string;
  /**
   * False once the connection closed. A request still awaiting I/O when its socket closes checks this before it
   * registers anything, so nothing outlives the connection (a subscription, a presence entry).
   */
  isOpen(): boolean;
}

/** Room operations besides messages, shared by every transport (presence, read, typing). */
export interface RoomEventHandler {
  handle(kind: 'presence' | 'presence-ping' | 'read' | 'typing', actor: Actor, roomCode: string, body: unknown): Promise<void>;
  disconnected(actor: Actor): void;
}
