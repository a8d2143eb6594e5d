/**
 * Helpers for integration tests against the real local servers (started by infra/ scripts). Each test gets
 * its own names (topics, groups, databases, key prefixes) so tests never see each other's data.
 */
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { InfraEnv, loadConfig } from '@sunsu/config';

export const infra = (): InfraEnv => loadConfig(InfraEnv, { ...process.env, CHAT_ENV: 'test' });

export const uniqueName = (prefix: string): string => `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;

export async function waitFor<T>(probe: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 10_000, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) throw new Error(`waitFor timed out after ${timeoutMs} ms${lastError ? `: ${String(lastError)}` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

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
export * from './services.ts';
export * from './stomp-client.ts';
export * from './api.ts';
export * from './room-client.ts';
export * from './sockjs-client.ts';
export * from './rng.ts';
