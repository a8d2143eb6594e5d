import type { Logger } from './logger.ts';

/**
 * SIGTERM/SIGINT run `drain` once, then exit 0; if draining takes longer than `graceMs` the process exits 1
 * (Kubernetes would SIGKILL it anyway, this way the log says why).
 */
export function onShutdownSignals(logger: Logger, drain: () => Promise<void>, graceMs = 20_000): void {
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    setTimeout(() => {
      logger.warn({ graceMs }, 'grace period over: exiting');
      process.exit(1);
    }, graceMs).unref();
    try {
      await drain();
    } catch (err) {
      logger.warn({ err: (err as Error).message }, 'draining failed');
    }
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}
