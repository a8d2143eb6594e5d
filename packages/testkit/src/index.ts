/**
 * Helpers for integration tests against the real local servers (started by infra/ scripts). Each test gets
 * its own names (topics, groups, databases, key prefixes) so tests never see each other's data.
 */
import postgres from 'postgres';
import { infra, uniqueName } from './basics.ts';

/** A fresh Postgres database for one test file; dropped by the returned `drop()`. */
export async function createTempDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const base = new URL(infra().CHAT_POSTGRES_URL);
  const name = uniqueName('test').replace(/-/g, '_');
  const admin = postgres(base.toString(), { max: 1, onnotice: () => undefined });
  await admin.unsafe(`CREATE DATABASE "${name}"`);
  await admin.end();
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const a = postgres(base.toString(), { max: 1, onnotice: () => undefined });
      await a.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await a.end();
    },
  };
}
export * from './basics.ts';
export * from './services.ts';
export * from './stomp-client.ts';
export * from './api.ts';
export * from './room-client.ts';
export * from './sockjs-client.ts';
export * from './rng.ts';
export * from './pipeline.ts';
export * from './metrics.ts';
