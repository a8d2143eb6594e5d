import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';
import type { Registry } from 'prom-client';
import { ChatError } from '../domain/errors.ts';
import { runReadiness, type HealthCheck, type Logger } from '@sunsu/observability';

export interface HttpDeps {
  logger: Logger;
  metrics: Registry;
  readinessChecks: Record<string, HealthCheck>;
  webDir: string;
  /** False once shutdown started: readiness fails so load balancers stop sending new connections. */
  isAccepting(): boolean;
  /** Registers the API routes (kept separate so the health surface stays independent of the API). */
  routes?: (app: FastifyInstance) => void;
}

/** Errors leave the server as JSON `{code, message}`, never as an HTML page or a stack trace. */
export async function buildHttpApp(deps: HttpDeps): Promise<FastifyInstance> {
  // Per-request logs are debug noise; the http child logs warnings and errors only.
  const app = Fastify({ loggerInstance: deps.logger.child({ component: 'http' }, { level: 'warn' }) as FastifyBaseLogger, bodyLimit: 64 * 1024 });

  app.setErrorHandler((error: { statusCode?: number; status?: number; message: string; code?: string }, request, reply) => {
    if (error instanceof ChatError) return reply.status(error.status).send({ code: error.code, message: error.message });
    const status = error.statusCode && error.statusCode >= 400 ? error.statusCode : 500;
    if (status >= 500) request.log.error({ err: error }, 'request failed');
    const code = status === 413 ? 'PAYLOAD_TOO_LARGE' : status === 415 ? 'UNSUPPORTED_MEDIA_TYPE' : status < 500 ? 'BAD_REQUEST' : 'INTERNAL';
    return reply.status(status).send({ code, message: status >= 500 ? 'internal error' : error.message });
  });
  app.setNotFoundHandler((request, reply) => {
    void reply.status(404).send({ code: 'NOT_FOUND', message: `no route for ${request.method} ${request.url.split('?')[0]}` });
  });
  deps.routes?.(app);

  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const report = await runReadiness(deps.readinessChecks);
    const ready = report.ready && deps.isAccepting();
    return reply.status(ready ? 200 : 503).send({ ...report, ready, accepting: deps.isAccepting() });
  });
  app.get('/metrics', async (_request, reply) => {
    return reply.header('content-type', deps.metrics.contentType).send(await deps.metrics.metrics());
  });

  await app.register(fastifyStatic, { root: deps.webDir, index: ['index.html'], wildcard: false });
  return app;
}
