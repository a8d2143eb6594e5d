import type { MessageBus } from '@sunsu/kafka';
import { runCli } from './cli.ts';

/** Just enough of a bus for the paths that stop at the topic check. */
const busWithTopics = (topics: string[] | Error): (() => MessageBus) => () =>
  ({
    admin: async () => ({
      listTopics: async () => {
        if (topics instanceof Error) throw topics;
        return topics;
      },
      close: async () => undefined,
    }),
  }) as unknown as MessageBus;

async function run(argv: string[], bus?: () => MessageBus) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, {
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    bus: bus ?? (() => {
      throw new Error('no Kafka in unit tests');
    }),
  });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('dead-letters CLI', () => {
  it('--help prints the usage on stdout and exits 0', async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('Usage: node scripts/dead-letters.ts <command>');
    expect(r.err).toBe('');
  });

  it('bad arguments: message on stderr, exit 2, no connection attempted', async () => {
    const r = await run(['replay']);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toContain('dead-letters: replay needs --topic <name>.DLT');
  });

  it('unknown topic: exit 2 and the known dead-letter topics on stderr', async () => {
    const r = await run(['replay', '--topic', 'nope.DLT'], busWithTopics(['a', 'a.DLT', 'b.DLT']));
    expect(r.code).toBe(2);
    expect(r.err).toBe('dead-letters: unknown topic nope.DLT; dead-letter topics: a.DLT, b.DLT');
  });

  it('a topic that is not a dead-letter topic: exit 2', async () => {
    const r = await run(['list', '--topic', 'a'], busWithTopics(['a', 'a.DLT']));
    expect(r.code).toBe(2);
    expect(r.err).toContain('a is not a dead-letter topic');
  });

  it('no dead-letter topic at all: list says so', async () => {
    const r = await run(['list'], busWithTopics(['a']));
    expect(r.code).toBe(0);
    expect(r.out).toBe('no dead-letter topics (*.DLT)');
  });

  it('any other failure (e.g. Kafka unreachable): exit 1 with the message', async () => {
    const r = await run(['list'], busWithTopics(new Error('Connection error: ECONNREFUSED')));
    expect(r.code).toBe(1);
    expect(r.err).toBe('dead-letters: Connection error: ECONNREFUSED');
  });
});
