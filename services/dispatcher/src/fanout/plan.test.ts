import type { ChatMessageSaved } from '@sunsu/contracts';
import { planDelivery } from './plan.ts';

const saved = (room: string, seq: number): ChatMessageSaved => ({
  messageId: `${room}-${seq}`,
  chatRoomCode: room,
  senderId: '7',
  senderName: 'Sender',
  content: `m${seq}`,
  messageType: 'TEXT',
  sequenceId: seq,
  fileUrl: null,
  createdAt: '2026-11-29T00:00:00.000Z',
});

describe('planDelivery', () => {
  it('sends each room only to the servers holding its subscribers, in sequence order', () => {
    const routes = new Map([
      ['room-a', ['s1', 's2']],
      ['room-b', ['s2']],
      ['room-c', []],
    ]);
    const plan = planDelivery([saved('room-a', 3), saved('room-b', 1), saved('room-a', 2), saved('room-c', 1)], routes);
    expect([...plan.keys()].sort()).toEqual(['s1', 's2']);
    const seqs = (server: string) => plan.get(server)!.map((p) => (p.kind === 'message' ? `${p.roomCode}:${p.message.sequenceId}` : ''));
    expect(seqs('s1')).toEqual(['room-a:2', 'room-a:3']);
    expect(seqs('s2')).toEqual(['room-a:2', 'room-a:3', 'room-b:1']);
  });

  it('marks the sender as having read its own message', () => {
    const plan = planDelivery([saved('room-a', 1)], new Map([['room-a', ['s1']]]));
    const push = plan.get('s1')![0]!;
    expect(push.kind === 'message' && push.message.readBy).toEqual(['7']);
  });

  it('plans nothing for rooms nobody is subscribed to', () => {
    expect(planDelivery([saved('room-x', 1)], new Map()).size).toBe(0);
  });
});
