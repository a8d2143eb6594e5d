import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';

/** A Lua script kept in its own `.lua` file next to the code that owns it. */
export interface ScriptDefinition {
  /** e.g. `new URL('./lua/advance-last-read.lua', import.meta.url)` */
  file: URL;
  /** How many of the arguments are keys (KEYS[]); the rest are ARGV[]. */
  keys: number;
}

/** Runs the script with exactly `keys` keys; the reply is the script's, untyped. */
export type ScriptCall = (keys: readonly string[], args?: readonly (string | number)[]) => Promise<unknown>;

type ScriptFunctions = Record<string, (...args: (string | number)[]) => Promise<unknown>>;

// Each file is read once per process, however many connections or stores define it.
const sources = new Map<string, string>();
function source(file: URL): string {
  let lua = sources.get(file.href);
  if (lua === undefined) {
    lua = readFileSync(file, 'utf8');
    sources.set(file.href, lua);
  }
  return lua;
}

/**
 * Defines Lua scripts on a connection (ioredis `defineCommand`, as BullMQ does): calls go out as EVALSHA, and a
 * server that does not know the script (restart, SCRIPT FLUSH, failover) answers NOSCRIPT, on which ioredis
 * sends the source once with EVAL. Commands are named after the file and the source's hash, so two scripts
 * never overwrite each other on a shared connection and defining one again is a no-op.
 */
export function defineScripts<const T extends Record<string, ScriptDefinition>>(redis: Redis, definitions: T): { readonly [K in keyof T]: ScriptCall } {
  const calls: Record<string, ScriptCall> = {};
  const defined = redis.scriptsSet as Record<string, unknown>;
  for (const [name, definition] of Object.entries(definitions)) {
    const lua = source(definition.file);
    const command = `lua:${definition.file.pathname.split('/').at(-1)}:${createHash('sha1').update(lua).digest('hex')}`;
    if (!(command in defined)) redis.defineCommand(command, { lua, numberOfKeys: definition.keys });
    calls[name] = (keys, args = []) => {
      if (keys.length !== definition.keys) return Promise.reject(new Error(`script ${name} takes ${definition.keys} keys, got ${keys.length}`));
      return (redis as unknown as ScriptFunctions)[command]!(...keys, ...args);
    };
  }
  return calls as { readonly [K in keyof T]: ScriptCall };
}
