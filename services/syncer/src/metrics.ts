import { Counter, Gauge, Histogram, type Registry } from '@sunsu/observability';

export interface SyncerMetrics {
  flushSeconds: Histogram;
  rowsWritten: Counter<'kind'>;
  failures: Counter<'kind'>;
  quarantined: Counter<'kind'>;
  lost: Counter<'kind'>;
  flushRuns: Counter<'outcome'>;
}

/** `dirtySizes` is read at scrape time (SCARD of each dirty set). */
export function createSyncerMetrics(registry: Registry, dirtySizes: () => Promise<Record<string, number>>): SyncerMetrics {
  const registers = [registry];
  new Gauge({
    name: 'syncer_dirty_entries',
    help: 'Entries waiting for the next flush, per dirty set (including entries taken by a running flush)',
    labelNames: ['kind'],
    registers,
    async collect() {
      for (const [kind, n] of Object.entries(await dirtySizes())) this.set({ kind }, n);
    },
  });
  return {
    flushSeconds: new Histogram({ name: 'syncer_flush_seconds', help: 'Duration of one flush run', registers, buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] }),
    rowsWritten: new Counter({ name: 'syncer_rows_written_total', help: 'Entries written to Postgres', labelNames: ['kind'], registers }),
    failures: new Counter({ name: 'syncer_write_failures_total', help: 'Entry writes that failed (retried later with backoff)', labelNames: ['kind'], registers }),
    quarantined: new Counter({ name: 'syncer_quarantined_total', help: 'Entries given up after the maximum attempts (see table sync_quarantine)', labelNames: ['kind'], registers }),
    lost: new Counter({ name: 'syncer_entries_without_value_total', help: 'Dirty entries whose Redis value was gone (evicted); nothing written, hydration rebuilds it', labelNames: ['kind'], registers }),
    flushRuns: new Counter({ name: 'syncer_flush_runs_total', help: 'Flush runs by outcome', labelNames: ['outcome'], registers }),
  };
}
