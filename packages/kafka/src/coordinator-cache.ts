import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

interface ClusterPrototype {
  findGroupCoordinator(this: object, args: { groupId: string; coordinatorType?: number }): Promise<unknown>;
}

const PATCHED = Symbol.for('sunsu.kafkajs.coordinator-cache');

/**
 * kafkajs (unmaintained since 2023, so its internals no longer move) sends a FindCoordinator request before every
 * transactional step: four per transaction (add partitions, add offsets, offset commit, end), about a third of
 * all requests the broker serves under load, and each costs the broker as much as a small produce. A coordinator
 * moves only when a broker fails or its partition is reassigned, so every kafkajs client (one Cluster per
 * producer, consumer and admin) keeps each answer for `ttlMs`. A stale answer costs at most the attempts made
 * within `ttlMs`; kafkajs retries them (RETRY spans seconds) and the next lookup asks the broker again.
 * Failed lookups are not kept.
 */
export function cacheCoordinatorLookups(ttlMs = 1000): void {
  const Cluster = require('kafkajs/src/cluster/index.js') as { prototype: ClusterPrototype & { [PATCHED]?: true } };
  const proto = Cluster.prototype;
  if (proto[PATCHED]) return;
  const lookup = proto.findGroupCoordinator;
  const caches = new WeakMap<object, Map<string, { at: number; broker: Promise<unknown> }>>();
  proto.findGroupCoordinator = function cachedFindGroupCoordinator(args) {
    let cache = caches.get(this);
    if (!cache) caches.set(this, (cache = new Map()));
    const key = `${args.coordinatorType ?? 0}:${args.groupId}`;
    const now = Date.now();
    const hit = cache.get(key);
    if (hit && now - hit.at < ttlMs) return hit.broker;
    const broker = lookup.call(this, args);
    const entry = { at: now, broker };
    cache.set(key, entry);
    broker.catch(() => {
      if (cache.get(key) === entry) cache.delete(key);
    });
    return broker;
  };
  proto[PATCHED] = true;
}
