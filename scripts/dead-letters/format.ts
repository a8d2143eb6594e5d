/** Human-readable output of `list` and `replay` (the `--json` output is the reports themselves). */
import type { ReplayReport, TopicListing } from './operations.ts';
import type { DeadLetterView } from './records.ts';

/** One line, unambiguous: JSON string quoting escapes newlines and control characters. */
const quote = (value: string | null): string => (value === null ? '-' : JSON.stringify(value));

export function formatRecord(v: DeadLetterView): string {
  return [
    `${v.partition}/${v.offset}`,
    v.replayed ? 'replayed' : 'pending',
    `key=${quote(v.key)}`,
    `stage=${v.stage ?? '-'}`,
    `source=${v.source ?? '-'}`,
    `at=${v.at ?? '-'}`,
    `reason=${quote(v.reason)}`,
    `value=${quote(v.value)}`,
  ].join('  ');
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

const incompleteNote = (partitions: number[]) =>
  partitions.length > 0 ? [`  note: partition ${partitions.join(', ')} not read to the end (the read stalled); run again`] : [];

export function formatListings(listings: TopicListing[]): string {
  if (listings.length === 0) return 'no dead-letter topics (*.DLT)';
  const lines: string[] = [];
  for (const l of listings) {
    lines.push(`${l.topic}: ${plural(l.total, 'dead letter')}, ${l.notReplayed} not replayed`);
    for (const v of l.records) lines.push(`  ${formatRecord(v)}`);
    const hidden = l.total - l.records.length;
    if (hidden > 0) lines.push(`  … ${hidden} more not shown (--limit 0 shows all)`);
    lines.push(...incompleteNote(l.incomplete));
  }
  return lines.join('\n');
}

export function formatReplay(r: ReplayReport): string {
  const lines: string[] = [];
  if (r.replayed.length === 0) {
    lines.push(`${r.topic}: nothing to replay (no dead letter pending for group ${r.group})`);
  } else if (r.dryRun) {
    lines.push(`${r.topic}: dry run, would replay ${r.replayed.length} of ${r.pending} pending dead letters (nothing produced, no offsets committed)`);
  } else {
    lines.push(`${r.topic}: replayed ${plural(r.replayed.length, 'dead letter')}, ${r.remaining} still pending (group ${r.group})`);
  }
  for (const x of r.replayed) lines.push(`  ${x.from} -> ${x.to}  key=${quote(x.key)}  reason=${quote(x.reason)}`);
  lines.push(...incompleteNote(r.incomplete));
  return lines.join('\n');
}
