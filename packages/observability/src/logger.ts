import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * Structured JSON logs to stdout. Secrets are redacted by path, so a token or password that ends up in a
 * logged object never reaches the log stream.
 */
export function createLogger(service: string, level = 'info'): Logger {
  return pino({
    name: service,
    level,
    base: { service, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      paths: ['*.authorization', '*.Authorization', '*.passcode', '*.token', '*.password', 'headers.authorization', 'req.headers.authorization'],
      censor: '[redacted]',
    },
  });
}
