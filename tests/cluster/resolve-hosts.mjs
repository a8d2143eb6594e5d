// Preloaded (`node --import`) into the processes of the cluster e2e run: resolves the ingress host names of
// SUNSU_RESOLVE ("chat.sunsu.test=10.245.0.1,...") to the node address without touching /etc/hosts. Node's
// net.connect (http, fetch, ws) looks names up through dns.lookup at call time; Playwright's request context
// through dns.promises.lookup.
import dns from 'node:dns';

const map = new Map(
  (process.env.SUNSU_RESOLVE ?? '')
    .split(',')
    .filter(Boolean)
    .map((pair) => pair.split('=').map((s) => s.trim())),
);
if (map.size > 0) {
  const original = dns.lookup;
  dns.lookup = function lookup(hostname, options, callback) {
    const cb = typeof options === 'function' ? options : callback;
    const opts = typeof options === 'function' ? {} : typeof options === 'number' ? { family: options } : (options ?? {});
    const address = map.get(hostname);
    if (!address) return original.call(this, hostname, options, callback);
    process.nextTick(() => (opts.all ? cb(null, [{ address, family: 4 }]) : cb(null, address, 4)));
    return {};
  };
  // Some clients (Playwright's request context) use the promise API.
  const originalPromise = dns.promises.lookup;
  dns.promises.lookup = async function lookup(hostname, options) {
    const address = map.get(hostname);
    if (!address) return originalPromise.call(this, hostname, options);
    const opts = typeof options === 'number' ? { family: options } : (options ?? {});
    return opts.all ? [{ address, family: 4 }] : { address, family: 4 };
  };
}
