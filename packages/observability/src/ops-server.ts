import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';
import { runReadiness, type HealthCheck } from './health.ts';

export interface OpsServerOptions {
  host: string;
  port: number;
  registry: Registry;
  /** Named readiness checks (each bounded in time by runReadiness). */
  checks: Record<string, HealthCheck>;
  /** False once the process is shutting down: readiness then fails whatever the checks say. */
  accepting(): boolean;
}

/**
 * The internal listener of a worker service (no public API): /healthz (process alive), /readyz (dependencies
 * reachable), /metrics (Prometheus). JSON errors for anything else.
 */
export function startOpsServer(options: OpsServerOptions): Promise<Server> {
  const server = createServer((req, res) => {
    void (async () => {
      const json = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      if (req.url === '/healthz') return json(200, { status: 'ok' });
      if (req.url === '/readyz') {
        const report = await runReadiness(options.checks);
        const ready = report.ready && options.accepting();
        return json(ready ? 200 : 503, { ...report, ready });
      }
      if (req.url === '/metrics') return res.writeHead(200, { 'content-type': options.registry.contentType }).end(await options.registry.metrics());
      return json(404, { code: 404, message: 'not found' });
    })().catch((err: Error) => res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ code: 500, message: err.message })));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve(server));
  });
}
