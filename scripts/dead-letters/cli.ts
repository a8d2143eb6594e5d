/** `node scripts/dead-letters.ts`: parse the command line, run it, print, and map failures to exit codes. */
import { InfraEnv, loadConfig } from '@sunsu/config';
import { ProducerFencedError, createKafkaBus, type MessageBus } from '@sunsu/kafka';
import { USAGE, UsageError, parseCommand, type Command } from './args.ts';
import { formatListings, formatReplay } from './format.ts';
import { TopicError, listDeadLetters, replayDeadLetters } from './operations.ts';

export interface CliDeps {
  /** The bus to use; default: Kafka at CHAT_KAFKA_BROKERS (InfraEnv). */
  bus?: () => MessageBus;
  /** Replay progress group; default sunsu-dead-letter-replay (tests give their own). */
  group?: string;
  stdout?: (text: string) => void;
  stderr?: (text: string) => void;
}

/**
 * kafkajs 2.2.4 schedules a timer with a negative delay on Node >= 23 (Node clamps it to 1 ms): harmless, but
 * Node prints a TimeoutNegativeWarning on stderr. Hide that one warning; print every other as Node would.
 */
export function hideKafkajsTimerWarning(): void {
  process.removeAllListeners('warning');
  process.on('warning', (warning) => {
    if (warning.name !== 'TimeoutNegativeWarning') process.stderr.write(`${warning.name}: ${warning.message}\n`);
  });
}

const defaultBus = (): MessageBus => createKafkaBus({ brokers: loadConfig(InfraEnv).CHAT_KAFKA_BROKERS, clientId: 'sunsu-dead-letters' });

/** Run one command; resolves to the exit code: 0 done, 1 failure, 2 bad arguments or unknown topic. */
export async function runCli(argv: string[], deps: CliDeps = {}): Promise<number> {
  const out = deps.stdout ?? ((text: string) => void process.stdout.write(`${text}\n`));
  const err = deps.stderr ?? ((text: string) => void process.stderr.write(`${text}\n`));
  let command: Command;
  try {
    command = parseCommand(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    err(`dead-letters: ${e.message}\nusage: node scripts/dead-letters.ts list [--topic <name>.DLT] [--limit N] [--json]\n       node scripts/dead-letters.ts replay --topic <name>.DLT [--limit N] [--dry-run] [--json]\n(--help for details)`);
    return 2;
  }
  if (command.command === 'help') {
    out(USAGE);
    return 0;
  }
  const group = deps.group !== undefined ? { group: deps.group } : {};
  try {
    const bus = (deps.bus ?? defaultBus)();
    if (command.command === 'list') {
      const listings = await listDeadLetters(bus, {
        ...group,
        ...(command.topic !== undefined ? { topic: command.topic } : {}),
        ...(command.limit !== undefined ? { limit: command.limit } : {}),
      });
      out(command.json ? JSON.stringify({ topics: listings }, null, 2) : formatListings(listings));
    } else {
      const report = await replayDeadLetters(bus, {
        ...group,
        topic: command.topic,
        dryRun: command.dryRun,
        ...(command.limit !== undefined ? { limit: command.limit } : {}),
      });
      out(command.json ? JSON.stringify(report, null, 2) : formatReplay(report));
    }
    return 0;
  } catch (e) {
    if (e instanceof TopicError) {
      err(`dead-letters: ${e.message}`);
      return 2;
    }
    if (e instanceof ProducerFencedError) {
      err(`dead-letters: another replay of the same topic started meanwhile and took over; this one stopped (what it committed stays replayed)`);
      return 1;
    }
    err(`dead-letters: ${(e as Error).message ?? String(e)}`);
    return 1;
  }
}
