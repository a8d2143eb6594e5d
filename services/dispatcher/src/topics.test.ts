import { waitForTopics } from './topics.ts';

describe('waitForTopics', () => {
  it('returns once every topic exists, polling through failures and partial lists', async () => {
    const answers: (string[] | Error)[] = [new Error('broker down'), ['a'], ['a', 'b', 'c']];
    let calls = 0;
    const admin = { listTopics: async () => { const a = answers[calls++]!; if (a instanceof Error) throw a; return a; } };
    const warned: unknown[] = [];
    await waitForTopics(admin, ['a', 'b'], { info: () => undefined, warn: (o: unknown) => void warned.push(o) } as never, { pollMs: 1, logEveryMs: 0, sleep: async () => undefined });
    expect(calls).toBe(3);
    expect(warned).toContainEqual({ missing: ['b'] });
  });
});
