/**
 * The operator's tool for dead letters (`*.DLT` topics): list them, and replay the ones not yet replayed to their
 * source topic. `node scripts/dead-letters.ts --help` for usage; `make dead-letters`, `make replay-dead-letters`.
 * The logic lives in scripts/dead-letters/.
 */
import { hideKafkajsTimerWarning, runCli } from './dead-letters/cli.ts';

hideKafkajsTimerWarning();
process.exitCode = await runCli(process.argv.slice(2));
