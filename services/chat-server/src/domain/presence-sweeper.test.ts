import type { RoomPush } from '@sunsu/contracts';
import { createLogger } from '@sunsu/observability';
import { PresenceSweeper, type SweepablePresence } from './presence-sweeper.ts';

describe('PresenceSweeper', () => {
  it('announces offline once per user the sweep reports, in each due room', async () => {
    const presence: SweepablePresence = {
      dueRooms: async () => ['r1', 'r2'],
      sweep: async (room) => (room === 'r1' ? ['7', '8'] : []),
    };
    const pushes: RoomPush[] = [];
    const sweeper = new PresenceSweeper(presence, async (_room, push) => void pushes.push(push), createLogger('test', 'silent'));
    expect(await sweeper.sweepOnce(1000)).toBe(2);
    expect(pushes).toEqual([
      { kind: 'presence', roomCode: 'r1', userId: '7', status: 'offline' },
      { kind: 'presence', roomCode: 'r1', userId: '8', status: 'offline' },
    ]);
  });
});
