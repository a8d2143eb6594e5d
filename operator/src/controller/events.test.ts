import type { ChatCluster } from '../api/spec.ts';
import { EventRecorder } from './events.ts';
import type { Kube } from './kube.ts';

const cr = { metadata: { name: 'chat', namespace: 'team-a', uid: 'u-1', resourceVersion: '7' } } as unknown as ChatCluster;

/** A Kube that records the requests it gets and names created Events like the API server does. */
function fakeKube() {
  const calls: { method: string; path: string; body: Record<string, unknown> }[] = [];
  let n = 0;
  const kube = {
    request: async (method: string, path: string, body: Record<string, unknown>) => {
      calls.push({ method, path, body });
      return method === 'POST' ? { metadata: { name: `chat.${++n}` } } : {};
    },
  } as unknown as Kube;
  return { kube, calls };
}

describe('EventRecorder', () => {
  it('aggregates repeats into one Event: counted, written at most once a minute, a new Event after 10 minutes', async () => {
    const { kube, calls } = fakeKube();
    let now = 1_000_000;
    const events = new EventRecorder(kube, 'chat-operator', undefined, () => now);
    for (let pass = 0; pass < 20; pass++) {
      await events.record(cr, 'Warning', 'InvalidSpec', 'spec.chatServer.replicas: must be ≥ 1');
      now += 1000;
    }
    expect(calls.map((c) => c.method)).toEqual(['POST']);
    now += 60_000;
    await events.record(cr, 'Warning', 'InvalidSpec', 'spec.chatServer.replicas: must be ≥ 1');
    expect(calls.at(-1)).toMatchObject({ method: 'PATCH', path: '/api/v1/namespaces/team-a/events/chat.1', body: { count: 21 } });
    // A different message is a different Event.
    await events.record(cr, 'Warning', 'InvalidSpec', 'spec.kafka.brokers: required');
    expect(calls.at(-1)).toMatchObject({ method: 'POST' });
    now += 10 * 60_000;
    await events.record(cr, 'Warning', 'InvalidSpec', 'spec.chatServer.replicas: must be ≥ 1');
    expect(calls.at(-1)).toMatchObject({ method: 'POST', body: { count: 1 } });
    expect(calls.filter((c) => c.method === 'POST')).toHaveLength(3);
  });
});
