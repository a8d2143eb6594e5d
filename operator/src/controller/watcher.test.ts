import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { KubeConfig } from '@kubernetes/client-node';
import { Kube } from './kube.ts';
import { Watcher, type WatchEventType } from './watcher.ts';

// A scripted fake API server on 127.0.0.1 (plain HTTP): each list/watch request is answered by the next handler
// of the test's script, so restarts, resumes, relists and silent connections are deterministic.
type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => void;
let server: Server;
let port: number;
let lists: Handler[];
let watches: Handler[];
const seen: { kind: 'list' | 'watch'; query: URLSearchParams }[] = [];
const open: ServerResponse[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const kind = url.searchParams.get('watch') === 'true' ? 'watch' : 'list';
    seen.push({ kind, query: url.searchParams });
    const next = (kind === 'watch' ? watches : lists).shift();
    if (!next) { res.writeHead(500).end('{"message":"script exhausted"}'); return; }
    next(req, res, url);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  port = (server.address() as { port: number }).port;
});
afterAll(async () => {
  for (const r of open) r.destroy();
  await new Promise((r) => server.close(r));
});
beforeEach(() => { lists = []; watches = []; seen.length = 0; });
afterEach(() => { for (const r of open.splice(0)) r.destroy(); });

const list = (rv: string, names: string[] = []): Handler => (_q, res) =>
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ metadata: { resourceVersion: rv }, items: names.map((n) => ({ metadata: { name: n, namespace: 'ns' } })) }));
const stream = (lines: object[], close: boolean): Handler => (_q, res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  for (const l of lines) res.write(`${JSON.stringify(l)}\n`);
  if (close) res.end(); else open.push(res);
};
const event = (type: string, name: string, rv: string) => ({ type, object: { metadata: { name, namespace: 'ns', resourceVersion: rv } } });

function watcher(extra: Partial<ConstructorParameters<typeof Watcher>[0]> = {}) {
  const kc = new KubeConfig();
  kc.loadFromOptions({ clusters: [{ name: 'c', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }], users: [{ name: 'u' }], contexts: [{ name: 'x', cluster: 'c', user: 'u' }], currentContext: 'x' });
  const events: string[] = [];
  const listed: string[][] = [];
  const restarts: string[] = [];
  const w = new Watcher({
    kube: new Kube(kc), kc, path: '/apis/chat.sunsu.dev/v1alpha1/chatclusters',
    onEvent: (t: WatchEventType, o) => events.push(`${t} ${o.metadata?.name}`),
    onList: (items) => listed.push(items.map((i) => i.metadata?.name ?? '')),
    onRestart: (r) => restarts.push(r),
    ...extra,
  });
  return { w, events, listed, restarts };
}
const until = async (what: string, cond: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!cond()) { if (Date.now() > end) throw new Error(`timed out: ${what}`); await new Promise((r) => setTimeout(r, 10)); }
};

describe('Watcher', () => {
  it('lists, then watches from the list version; a clean close resumes from the last event without a relist', async () => {
    lists.push(list('10', ['a']));
    watches.push(stream([event('ADDED', 'b', '11'), event('BOOKMARK', '', '15')], true), stream([event('MODIFIED', 'b', '16')], false));
    const { w, events, listed } = watcher();
    w.start();
    await until('second watch', () => events.length === 2);
    w.stop();
    expect(listed).toEqual([['a']]);
    expect(events).toEqual(['ADDED b', 'MODIFIED b']); // bookmarks only move the version
    const ws = seen.filter((s) => s.kind === 'watch');
    expect(ws[0]!.query.get('resourceVersion')).toBe('10');
    expect(ws[0]!.query.get('allowWatchBookmarks')).toBe('true');
    expect(ws[1]!.query.get('resourceVersion')).toBe('15');
    expect(seen.filter((s) => s.kind === 'list')).toHaveLength(1);
    expect(w.synced).toBe(true);
  });

  it('relists after 410 Gone (the version is too old to resume from)', async () => {
    lists.push(list('10', ['a']), list('30', ['a', 'c']));
    watches.push(stream([{ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired' } }], true), stream([], false));
    const { w, listed, restarts } = watcher();
    w.start();
    await until('relist', () => listed.length === 2);
    await until('watch after relist', () => seen.filter((s) => s.kind === 'watch').length === 2);
    w.stop();
    expect(listed[1]).toEqual(['a', 'c']);
    expect(restarts).toContain('resource version too old');
    expect(seen.filter((s) => s.kind === 'watch')[1]!.query.get('resourceVersion')).toBe('30');
  });

  it('replaces a watch that stays silent (watchdog), relisting', async () => {
    lists.push(list('10'), list('20'));
    watches.push(stream([], false), stream([], false)); // connected, then nothing at all
    const { w, restarts, listed } = watcher({ watchdogMs: 300 });
    w.start();
    await until('watchdog restart', () => listed.length === 2, 10_000);
    w.stop();
    expect(restarts[0]).toBe('watchdog: no events');
  });

  it('retries a failing list with growing backoff', async () => {
    const fail: Handler = (_q, res) => res.writeHead(503, { 'content-type': 'application/json' }).end('{"reason":"ServiceUnavailable","message":"starting"}');
    lists.push(fail, fail, list('5', ['z']));
    watches.push(stream([], false));
    const t0 = Date.now();
    const { w, listed, restarts } = watcher({ maxBackoffMs: 1500 });
    w.start();
    await until('list after failures', () => listed.length === 1, 10_000);
    w.stop();
    // 1 s, then 1.5 s (capped): the third list comes no sooner than ~2.5 s after the first
    expect(Date.now() - t0).toBeGreaterThanOrEqual(2400);
    expect(restarts.filter((r) => r.startsWith('list failed'))).toHaveLength(2);
  });
});
