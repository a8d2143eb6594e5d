import type { RoomPush } from '@sunsu/contracts';
import type { Logger } from '@sunsu/observability';

export interface SweepablePresence {
  /** Rooms whose earliest presence expiry has passed. */
  dueRooms(now: number, limit: number): Promise<string[]>;
  /** Removes expired connections of a room; answers the users who have no live connection left. */
  sweep(roomCode: string, now: number): Promise<string[]>;
}

/**
 * Announces "offline" for users whose presence expired without a clean disconnect (a crashed chat-server, a
 * laptop that went to sleep, a network that silently dropped): the original left the partner seeing a stale
 * "online" forever. Every chat-server runs one; the sweep script is atomic, so whichever instance removes an
 * expired connection is the only one that announces it.
 */
export class PresenceSweeper {
  private readonly presence: SweepablePresence;
  private readonly push: (roomCode: string, push: RoomPush) => Promise<void>;
  private readonly logger: Logger;
  private timer: NodeJS.Timeout | undefined;

  constructor(presence: SweepablePresence, push: (roomCode: string, push: RoomPush) => Promise<void>, logger: Logger) {
    this.presence = presence;
    this.push = push;
    this.logger = logger;
  }

  /** One pass over the due rooms; answers the number of offline announcements. */
  async sweepOnce(now = Date.now()): Promise<number> {
    let announced = 0;
    for (const roomCode of await this.presence.dueRooms(now, 200)) {
      for (const userId of await this.presence.sweep(roomCode, now)) {
        await this.push(roomCode, { kind: 'presence', roomCode, userId, status: 'offline' });
        announced++;
      }
    }
    return announced;
  }

  start(everyMs: number): void {
    const tick = () => {
      this.sweepOnce()
        .catch((err: Error) => this.logger.warn({ err: err.message }, 'presence sweep failed'))
        .finally(() => {
          if (this.timer) this.timer = setTimeout(tick, everyMs).unref();
        });
    };
    this.timer = setTimeout(tick, everyMs).unref();
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
