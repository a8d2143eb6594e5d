import { createLogger, createMetricsRegistry } from '@sunsu/observability';
import { loadChatServerConfig } from './config.ts';
import { openConnections } from './adapters/connections.ts';
import { buildHttpApp } from './http/app.ts';

const config = loadChatServerConfig();
const logger = createLogger('chat-server', config.LOG_LEVEL);
const metrics = createMetricsRegistry('chat-server');
const connections = await openConnections(config, logger);

let accepting = true;
const app = await buildHttpApp({
  logger,
  metrics,
  readinessChecks: connections.readinessChecks,
  webDir: config.CHAT_WEB_DIR,
  isAccepting: () => accepting,
});
await app.listen({ host: config.CHAT_HTTP_HOST, port: config.CHAT_HTTP_PORT });
logger.info({ serverId: config.CHAT_SERVER_ID, url: `http://${config.CHAT_HTTP_HOST}:${config.CHAT_HTTP_PORT}/` }, 'chat-server listening');

/** SIGTERM: fail readiness, stop accepting, drain in-flight work within the grace period, close stores. */
async function shutdown(signal: string) {
  if (!accepting) return;
  accepting = false;
  logger.info({ signal }, 'shutting down');
  const force = setTimeout(() => {
    logger.warn('grace period over: exiting');
    process.exit(1);
  }, config.CHAT_SHUTDOWN_GRACE_MS);
  force.unref();
  await app.close();
  await connections.close();
  logger.info('stopped');
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
