import { StompDecoder, encodeFrame, type StompFrame } from '@sunsu/stomp';
import type { Principal } from '@sunsu/auth';
import { ChatError } from '../domain/errors.ts';
import { HeartbeatMonitor } from './heartbeats.ts';
import { DEFAULT_INBOUND_LIMITS } from '../limits/inbound.ts';
import { SLOW_CONSUMER_CLOSE_CODE, StompSession, type SessionHandlers, type SessionOptions } from './session.ts';

const alice: Principal = { userId: '1', name: 'Alice', role: 'couple', avatarUrl: null };

/** A session wired to an in-memory wire and scripted handlers (pure protocol behaviour, no servers). */
function harness(overrides: Partial<SessionHandlers> = {}, options: Partial<SessionOptions> = {}) {
  const decoder = new StompDecoder({ maxFrameBytes: 1 << 20 });
  const out: StompFrame[] = [];
  let heartbeatsOut = 0;
  let closed = false;
  let closeCode: number | undefined;
  const wire = { buffered: 0 };
  const monitor = new HeartbeatMonitor(60_000);
  const handlers: SessionHandlers = {
    authenticate: async (token) => {
      if (token !== 'good') throw new Error('invalid token');
      return alice;
    },
    subscribe: async () => undefined,
    unsubscribe: async () => undefined,
    send: async () => undefined,
    closed: () => undefined,
    ...overrides,
  };
  const session = new StompSession(
    {
      send: (data) => {
        for (const item of decoder.push(data)) {
          if (item.type === 'frame') out.push(item.frame);
          else heartbeatsOut++;
        }
      },
      close: (code) => {
        closed = true;
        closeCode = code;
      },
      bufferedBytes: () => wire.buffered,
      name: 'test',
    },
    handlers,
    { heartbeats: monitor, heartBeat: [5000, 5000], ...options },
  );
  const flush = () => new Promise((r) => setTimeout(r, 10));
  return { session, out, monitor, flush, wire, isClosed: () => closed, closeCode: () => closeCode, heartbeatsOut: () => heartbeatsOut };
}

const frame = (command: string, headers: Record<string, string> = {}, body = '') => encodeFrame({ command, headers, body });


describe('StompSession', () => {
  it('connects with a token, negotiates version and heart-beats', async () => {
    const h = harness();
    h.session.onData(frame('CONNECT', { 'accept-version': '1.1,1.2', passcode: 'good', 'heart-beat': '10000,10000' }));
    await h.flush();
    expect(h.out[0]).toMatchObject({ command: 'CONNECTED', headers: { version: '1.2', 'heart-beat': '5000,5000', 'user-name': '1' } });
    expect(h.monitor.size).toBe(1);
  });

  it('refuses frames before CONNECT and bad tokens with ERROR, then closes', async () => {
    const h = harness();
    h.session.onData(frame('SEND', { destination: '/app/x', receipt: 'r1' }));
    await h.flush();
    expect(h.out[0]).toMatchObject({ command: 'ERROR', headers: { message: 'expected CONNECT', 'receipt-id': 'r1' } });
    await new Promise((r) => setTimeout(r, 80));
    expect(h.isClosed()).toBe(true);

    const h2 = harness();
    h2.session.onData(frame('CONNECT', { 'accept-version': '1.2', passcode: 'bad' }));
    await h2.flush();
    expect(h2.out[0]?.headers.message).toBe('authentication failed: invalid token');
  });

  it('answers receipts in the order frames arrived, even when handlers finish out of order', async () => {
    const delays = [30, 1, 10];
    let i = 0;
    const h = harness({ send: () => new Promise((r) => setTimeout(r, delays[i++]!)) });
    h.session.onData(frame('CONNECT', { 'accept-version': '1.2', passcode: 'good' }));
    h.session.onData(Buffer.concat(['a', 'b', 'c'].map((r) => frame('SEND', { destination: '/app/x', receipt: r }, '{}'))));
    await new Promise((r) => setTimeout(r, 80));
    expect(h.out.filter((f) => f.command === 'RECEIPT').map((f) => f.headers['receipt-id'])).toEqual(['a', 'b', 'c']);
  });

  it('maps handler rejections to ERROR with the code and receipt-id, and refuses SEND to /topic', async () => {
    const h = harness({ send: async () => Promise.reject(new ChatError('FORBIDDEN', 403, 'not a participant of this room')) });
    h.session.onData(frame('CONNECT', { 'accept-version': '1.2', passcode: 'good' }));
    h.session.onData(frame('SEND', { destination: '/app/chat/rooms/x/messages', receipt: 'r9' }, '{}'));
    await h.flush();
    expect(h.out[1]).toMatchObject({ command: 'ERROR', headers: { message: 'not a participant of this room', 'receipt-id': 'r9', code: 'FORBIDDEN' } });

    const t = harness();
    t.session.onData(frame('CONNECT', { 'accept-version': '1.2', passcode: 'good' }));
    t.session.onData(frame('SEND', { destination: '/topic/chat/rooms/x', receipt: 'r2' }, '{}'));
    await t.flush();
    expect(t.out[1]?.headers.message).toBe('clients may not SEND to /topic destinations');
  });

  it('rate-limits SEND frames per connection', async () => {
    const h = harness();
    h.session.onData(frame('CONNECT', { 'accept-version': '1.2', passcode: 'good' }));
    for (let k = 0; k < 60; k++) h.session.onData(frame('SEND', { destination: '/app/x' }, '{}'));
    await new Promise((r) => setTimeout(r, 50));
    expect(h.out.at(-1)).toMatchObject({ command: 'ERROR', headers: { code: 'RATE_LIMITED' } });
  });

  it('sends heart-beats and declares a silent peer dead after twice the interval', async () => {
    const h = harness();
    h.session.onData(frame('CONNECT', { 'accept-version': '1.2', passcode: 'good', 'heart-beat': '4000,4000' }));
    await h.flush();
    const now = Date.now();
    h.monitor.tick(now + 5000); // due to send (every 5 s)
    expect(h.heartbeatsOut()).toBe(1);
    h.monitor.tick(now + 11_000); // nothing received for more than 2 × 5 s
    expect(h.out.at(-1)).toMatchObject({ command: 'ERROR' });
    expect(h.out.at(-1)?.headers.message).toMatch(/no heart-beat from client/);
    expect(h.isClosed()).toBe(true);
    expect(h.monitor.size).toBe(0);
  });

  it('answers DISCONNECT with its receipt and closes', async () => {
    const closed: string[] = [];
    const h = harness({ closed: (s) => closed.push(s.id) });
    h.session.onData(frame('CONNECT', { 'accept-version': '1.2', passcode: 'good' }));
    h.session.onData(frame('DISCONNECT', { receipt: 'bye' }));
    await new Promise((r) => setTimeout(r, 50));
    expect(h.out.at(-1)).toMatchObject({ command: 'RECEIPT', headers: { 'receipt-id': 'bye' } });
    expect(closed).toHaveLength(1);
    expect(h.isClosed()).toBe(true);
  });

  it('drops ephemeral pushes while the client is behind and cuts it off past the outbound budget', async () => {
    const slow: number[] = [];
    const h = harness({}, { outbound: { maxBufferedBytes: 4096, ephemeralBufferedBytes: 100 }, onSlowConsumer: (i) => void slow.push(i.bufferedBytes) });
    h.session.onData(frame('CONNECT', { 'accept-version': '1.2', passcode: 'good' }));
    h.session.onData(frame('SUBSCRIBE', { id: 's1', destination: '/topic/chat/rooms/r' }));
    await h.flush();
    h.wire.buffered = 500;
    h.session.deliver('/topic/chat/rooms/r', '{"typing":true}', true);
    h.session.deliver('/topic/chat/rooms/r', '{"n":1}');
    expect(h.out.filter((f) => f.command === 'MESSAGE').map((f) => f.body.toString())).toEqual(['{"n":1}']);
    h.wire.buffered = 4000;
    h.session.deliver('/topic/chat/rooms/r', JSON.stringify({ n: 2, pad: 'x'.repeat(200) }));
    expect(h.out.at(-1)).toMatchObject({ command: 'ERROR', headers: { code: 'SLOW_CONSUMER' } });
    expect(slow).toEqual([4000]);
    await new Promise((r) => setTimeout(r, 80));
    expect(h.isClosed()).toBe(true);
    expect(h.closeCode()).toBe(SLOW_CONSUMER_CLOSE_CODE);
  });

  it('refuses frames past the in-flight cap on arrival, with the receipt id', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const h = harness({ send: () => gate }, { inbound: { ...DEFAULT_INBOUND_LIMITS, maxPending: 3 } });
    h.session.onData(frame('CONNECT', { 'accept-version': '1.2', passcode: 'good' }));
    await h.flush();
    h.session.onData(Buffer.concat(['a', 'b', 'c', 'd'].map((r) => frame('SEND', { destination: '/app/x', receipt: r }, '{}'))));
    expect(h.out.at(-1)).toMatchObject({ command: 'ERROR', headers: { code: 'RATE_LIMITED', 'receipt-id': 'd' } });
    release();
  });

  it('rate-limits SUBSCRIBE and caps subscriptions per connection', async () => {
    const r = harness({}, { inbound: { ...DEFAULT_INBOUND_LIMITS, subscribeRatePerSecond: 0.001, subscribeBurst: 2 } });
    r.session.onData(frame('CONNECT', { 'accept-version': '1.2', passcode: 'good' }));
    for (const id of ['1', '2', '3']) r.session.onData(frame('SUBSCRIBE', { id, destination: `/topic/chat/rooms/r${id}`, receipt: id }));
    await r.flush();
    expect(r.out.at(-1)).toMatchObject({ command: 'ERROR', headers: { code: 'RATE_LIMITED', 'receipt-id': '3' } });

    const c = harness({}, { inbound: { ...DEFAULT_INBOUND_LIMITS, maxSubscriptions: 2 } });
    c.session.onData(frame('CONNECT', { 'accept-version': '1.2', passcode: 'good' }));
    for (const id of ['1', '2', '3']) c.session.onData(frame('SUBSCRIBE', { id, destination: `/topic/chat/rooms/r${id}`, receipt: id }));
    await c.flush();
    expect(c.out.filter((f) => f.command === 'RECEIPT')).toHaveLength(2);
    expect(c.out.at(-1)).toMatchObject({ command: 'ERROR', headers: { code: 'LIMIT_EXCEEDED', 'receipt-id': '3' } });
  });

  it('registers nothing for a SUBSCRIBE whose check finishes after the socket closed', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const subscribed: string[] = [];
    const h = harness({
      subscribe: async (session, id) => {
        await gate;
        if (session.isOpen) subscribed.push(id);
      },
    });
    h.session.onData(frame('CONNECT', { 'accept-version': '1.2', passcode: 'good' }));
    h.session.onData(frame('SUBSCRIBE', { id: 's1', destination: '/topic/chat/rooms/r' }));
    await h.flush();
    h.session.onClose();
    release();
    await h.flush();
    expect(subscribed).toEqual([]);
    expect(h.session.subscriptionDestinations()).toEqual([]);
  });
});
