import { DEFAULT_LIST_LIMIT, UsageError, parseCommand } from './args.ts';

describe('parseCommand', () => {
  it('list defaults to every topic, the default limit, human output', () => {
    expect(parseCommand(['list'])).toEqual({ command: 'list', limit: DEFAULT_LIST_LIMIT, json: false });
  });

  it('list with --topic, --limit (both spellings) and --json', () => {
    expect(parseCommand(['list', '--topic', 'a.DLT', '--limit', '5', '--json'])).toEqual({ command: 'list', topic: 'a.DLT', limit: 5, json: true });
    expect(parseCommand(['list', '--limit=7'])).toMatchObject({ limit: 7 });
  });

  it('list --limit 0 shows everything', () => {
    expect(parseCommand(['list', '--limit', '0'])).toMatchObject({ limit: undefined });
  });

  it('replay needs --topic; --limit and --dry-run are optional', () => {
    expect(parseCommand(['replay', '--topic', 'a.DLT'])).toEqual({ command: 'replay', topic: 'a.DLT', limit: undefined, dryRun: false, json: false });
    expect(parseCommand(['replay', '--topic', 'a.DLT', '--limit', '2', '--dry-run', '--json'])).toEqual({
      command: 'replay',
      topic: 'a.DLT',
      limit: 2,
      dryRun: true,
      json: true,
    });
    expect(() => parseCommand(['replay'])).toThrow('replay needs --topic');
  });

  it('--help, -h and help', () => {
    for (const argv of [['--help'], ['-h'], ['help'], ['list', '--help'], ['replay', '-h']]) expect(parseCommand(argv)).toEqual({ command: 'help' });
  });

  it.each([
    [[], 'missing command'],
    [['purge'], 'unknown command: purge'],
    [['list', 'extra'], 'unexpected argument: extra'],
    [['list', '--bogus'], 'unknown option --bogus'],
    [['list', '--dry-run'], '--dry-run applies to replay only'],
    [['list', '--limit=-1'], '--limit must be a non-negative integer'],
    [['list', '--limit', 'ten'], '--limit must be a non-negative integer'],
    [['replay', '--topic', 'a.DLT', '--limit', '0'], '--limit must be a positive integer'],
    [['replay', '--topic', 'a.DLT', '--limit', '1.5'], '--limit must be a positive integer'],
    [['replay', '--topic', ''], '--topic needs a topic name'],
    [['replay', '--topic'], "argument missing"],
  ])('rejects %j', (argv, message) => {
    let error: unknown;
    try {
      parseCommand(argv);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toContain(message);
  });
});
