import { parseArgs } from 'node:util';

export type Command =
  | { command: 'help' }
  | { command: 'list'; topic?: string; limit: number | undefined; json: boolean }
  | { command: 'replay'; topic: string; limit: number | undefined; dryRun: boolean; json: boolean };

/** Bad command line: the CLI prints the message and the usage on stderr and exits with 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export const DEFAULT_LIST_LIMIT = 50;

export const USAGE = `Usage: node scripts/dead-letters.ts <command> [options]

Commands:
  list     For every *.DLT topic (or --topic), how many dead letters it holds and how many are not yet
           replayed, then one line per dead letter (per partition, oldest first).
  replay   Produce the dead letters of --topic that were not yet replayed back to their source topic (from
           the dlt-source header, else the topic name minus .DLT): same key and value, original headers
           without the dlt-* ones plus dlt-replayed-from. Progress is kept in the consumer group
           sunsu-dead-letter-replay, so a dead letter is replayed once.

Options:
  --topic <name>.DLT   the dead-letter topic (required for replay)
  --limit N            list: records shown per topic (default ${DEFAULT_LIST_LIMIT}, 0 = all);
                       replay: replay at most N dead letters (default: all)
  --dry-run            replay: show what would be replayed; produce and commit nothing
  --json               machine-readable output (JSON on stdout)
  -h, --help           this help

Kafka: CHAT_KAFKA_BROKERS (default 127.0.0.1:19092).
Exit codes: 0 done, 1 failure (e.g. Kafka unreachable), 2 bad arguments or unknown topic.`;

function parseLimit(value: string | undefined, allowZero: boolean): number | undefined {
  if (value === undefined) return undefined;
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || (!allowZero && n === 0)) {
    throw new UsageError(`--limit must be a ${allowZero ? 'non-negative' : 'positive'} integer, got "${value}"`);
  }
  return n;
}

export function parseCommand(argv: string[]): Command {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        topic: { type: 'string' },
        limit: { type: 'string' },
        'dry-run': { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    const message = (err as Error).message;
    const unknown = /^Unknown option '([^']+)'/.exec(message);
    throw new UsageError(unknown ? `unknown option ${unknown[1]}` : message);
  }
  const { values, positionals } = parsed;
  if (values.help || positionals[0] === 'help') return { command: 'help' };
  const [command, ...extra] = positionals;
  if (command === undefined) throw new UsageError('missing command (list or replay)');
  if (extra.length > 0) throw new UsageError(`unexpected argument: ${extra.join(' ')}`);
  if (values.topic !== undefined && values.topic.trim() === '') throw new UsageError('--topic needs a topic name');
  switch (command) {
    case 'list': {
      if (values['dry-run']) throw new UsageError('--dry-run applies to replay only');
      const limit = parseLimit(values.limit, true);
      return {
        command: 'list',
        ...(values.topic !== undefined ? { topic: values.topic } : {}),
        limit: limit === undefined ? DEFAULT_LIST_LIMIT : limit === 0 ? undefined : limit,
        json: values.json,
      };
    }
    case 'replay':
      if (values.topic === undefined) throw new UsageError('replay needs --topic <name>.DLT');
      return { command: 'replay', topic: values.topic, limit: parseLimit(values.limit, false), dryRun: values['dry-run'], json: values.json };
    default:
      throw new UsageError(`unknown command: ${command} (expected list or replay)`);
  }
}
