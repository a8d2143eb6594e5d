import WebSocket from 'ws';
import { StompDecoder, encodeFrame, type StompFrame } from '@sunsu/stomp';
import { Rng, api, createDirectRoom, connectStomp, randomUserId, startService, tokenFor, type RunningService } from '@sunsu/testkit';

const STOMP_CASES = 8000;
const REST_CASES = 2000;
const CONCURRENCY = 32;
const SEED = 0x5eed_c4a7;
/** After the fuzzed frame: a probe the server answers with a RECEIPT if the fuzzed frame did not end the session. */
const PROBE = encodeFrame({ command: 'DISCONNECT', headers: { receipt: 'probe' } });

type Outcome = 'error' | 'accepted' | 'incomplete' | 'silent';

/** Valid frames of every kind a client sends, the raw material of the mutations. */
function seeds(room: string): Buffer[] {
  return [
    encodeFrame({ command: 'SEND', headers: { destination: `/app/chat/rooms/${room}/messages`, receipt: 's', 'content-type': 'application/json' }, body: '{"messageId":"fuzz-0001","content":"hi","messageType":"TEXT"}' }),
    encodeFrame({ command: 'SUBSCRIBE', headers: { id: 'x', destination: `/topic/chat/rooms/${room}`, receipt: 'u' } }),
    encodeFrame({ command: 'SEND', headers: { destination: `/app/chat/rooms/${room}/read`, receipt: 'r' }, body: '{"sequenceId":1}' }),
    encodeFrame({ command: 'SEND', headers: { destination: `/app/presence/${room}`, receipt: 'p' }, body: '{}' }),
    encodeFrame({ command: 'SEND', headers: { destination: `/app/chat/rooms/${room}/typing`, receipt: 't' }, body: '{"typing":true}' }),
    encodeFrame({ command: 'UNSUBSCRIBE', headers: { id: 'x', receipt: 'n' } }),
    encodeFrame({ command: 'ACK', headers: { id: '1', receipt: 'a' } }),
    encodeFrame({ command: 'BEGIN', headers: { transaction: 't1', receipt: 'b' } }),
  ];
}

const NASTY = ['\0', '\n', '\r', ':', '\\', '\\x', 'content-length:999999', 'content-length:-1', 'receipt:', '가', '😀', '{', '"', '/topic/x', '../', '%00', 'A'.repeat(9000)];

/** A mutated frame that still ends with NUL (so the server sees a complete frame unless a length says otherwise). */
function mutate(rng: Rng, seed: Buffer): Buffer {
  let bytes = Buffer.from(seed.subarray(0, seed.length - 1));
  const edits = rng.range(1, 4);
  for (let e = 0; e < edits; e++) {
    switch (rng.int(6)) {
      case 0: // flip bytes
        for (let k = rng.range(1, 3); k > 0 && bytes.length > 0; k--) bytes[rng.int(bytes.length)] = rng.int(256);
        break;
      case 1: // truncate
        bytes = bytes.subarray(0, rng.int(bytes.length + 1));
        break;
      case 2: // insert something nasty
        {
          const at = rng.int(bytes.length + 1);
          bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from(rng.pick(NASTY)), bytes.subarray(at)]);
        }
        break;
      case 3: // duplicate a slice
        {
          const from = rng.int(bytes.length + 1);
          const to = Math.min(bytes.length, from + rng.range(1, 40));
          bytes = Buffer.concat([bytes, bytes.subarray(from, to)]);
        }
        break;
      case 4: // random bytes
        bytes = Buffer.concat([bytes.subarray(0, rng.int(bytes.length + 1)), rng.bytes(rng.range(1, 64))]);
        break;
      default: // many headers
        bytes = Buffer.concat([Buffer.from(`SEND\n${Array.from({ length: rng.range(10, 120) }, (_, i) => `h${i}:${i}`).join('\n')}\n\n`), bytes]);
    }
  }
  return Buffer.concat([bytes, Buffer.from([0])]);
}

/** One connection: (CONNECT,) the fuzzed frame, the probe; what came back. */
async function runCase(url: string, token: string, frame: Buffer, authenticated: boolean): Promise<{ outcome: Outcome; error?: StompFrame }> {
  const ws = new WebSocket(url, ['v12.stomp']);
  // The server echoes receipt ids back, however odd: the test's own decoder accepts anything it may send.
  const decoder = new StompDecoder({ maxFrameBytes: 1 << 20, maxHeaders: 1000, maxHeaderLineBytes: 1 << 20 });
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  const result = await new Promise<{ outcome: Outcome; error?: StompFrame }>((resolve) => {
    const timer = setTimeout(() => resolve({ outcome: 'silent' }), 5000);
    const done = (r: { outcome: Outcome; error?: StompFrame }) => {
      clearTimeout(timer);
      resolve(r);
    };
    ws.on('message', (data: Buffer) => {
      let items;
      try {
        items = decoder.push(data);
      } catch (err) {
        return done({ outcome: 'silent', error: { command: 'UNPARSEABLE', headers: { message: String(err) }, body: Buffer.alloc(0) } });
      }
      for (const item of items) {
        if (item.type !== 'frame') continue;
        if (item.frame.command === 'ERROR') return done({ outcome: 'error', error: item.frame });
        if (item.frame.command === 'RECEIPT' && item.frame.headers['receipt-id'] === 'probe') return done({ outcome: 'accepted' });
      }
    });
    // Closed without an answer: only acceptable for a frame the server is still waiting to complete.
    ws.once('close', () => done({ outcome: 'incomplete' }));
    if (authenticated) ws.send(encodeFrame({ command: 'CONNECT', headers: { 'accept-version': '1.2', passcode: token, 'heart-beat': '0,0' } }));
    ws.send(frame);
    ws.send(PROBE);
  });
  ws.terminate();
  return result;
}

/** Random JSON-ish bodies: wrong types, missing and extra keys, deep nesting, huge strings, garbage. */
function randomBody(rng: Rng): string {
  const values = [() => rng.int(1e9), () => -1, () => 'x'.repeat(rng.range(0, 300)), () => null, () => true, () => [], () => ({}), () => '1', () => 1.5, () => '가'.repeat(50)];
  const keys = ['plannerId', 'participantIds', 'userId', 'chatRoomCode', 'name', 'role', 'avatarUrl', 'content', '__proto__', 'constructor', 'x'];
  switch (rng.int(5)) {
    case 0:
      return rng.bytes(rng.range(0, 200)).toString('latin1');
    case 1:
      return '{'.repeat(rng.range(1, 5000));
    case 2:
      return JSON.stringify(Array.from({ length: rng.range(0, 5) }, () => rng.pick(values)()));
    default: {
      const obj: Record<string, unknown> = {};
      for (let k = rng.range(0, 4); k > 0; k--) obj[rng.pick(keys)] = rng.pick(values)();
      return JSON.stringify(obj);
    }
  }
}

/**
 * Fuzzing the running chat-server: thousands of random and mutated STOMP frames (before and after CONNECT) and
 * REST bodies. Nothing may crash it or go unanswered: every frame is either accepted or rejected with an ERROR
 * frame that carries a message; every REST body gets a 2xx or a 4xx with a JSON `{code, message}` — never a 5xx.
 */
describe('fuzzing the chat-server (real process)', () => {
  let server: RunningService;
  let token: string;
  let room: string;

  beforeAll(async () => {
    server = await startService('chat-server', 'it-fuzz-chat', { CHAT_STOMP_SEND_RATE: '5000', CHAT_STOMP_SEND_BURST: '5000' });
    const user = randomUserId();
    token = await tokenFor(user);
    room = await createDirectRoom(server.url, token, randomUserId());
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
  });

  it(`${STOMP_CASES} mutated STOMP frames: each accepted or rejected with a clear ERROR; the server stays up`, async () => {
    const rng = new Rng(SEED);
    const bases = seeds(room);
    const cases = Array.from({ length: STOMP_CASES }, (_, i) => ({
      i,
      authenticated: rng.chance(0.7),
      frame: rng.chance(0.1) ? Buffer.concat([rng.bytes(rng.range(1, 300)), Buffer.from([0])]) : mutate(rng, rng.pick(bases)),
    }));
    const counts: Record<Outcome, number> = { error: 0, accepted: 0, incomplete: 0, silent: 0 };
    const unexplained: string[] = [];
    const url = `${server.url.replace(/^http/, 'ws')}/stomp`;
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < cases.length) {
          const c = cases[next++]!;
          const { outcome, error } = await runCase(url, token, c.frame, c.authenticated);
          counts[outcome]++;
          if (outcome === 'error' && !(error!.headers.message && error!.headers.message.length > 0)) unexplained.push(`case ${c.i}: ERROR without a message`);
          // A frame that declares more body than it has is legitimately waiting for its bytes (the probe became
          // part of its body); anything else must be answered.
          const waitsForBytes = /content-length/.test(c.frame.toString('latin1'));
          if ((outcome === 'silent' || outcome === 'incomplete') && !waitsForBytes) unexplained.push(`case ${c.i} (seed ${SEED}): ${outcome}: ${JSON.stringify(c.frame.toString('latin1').slice(0, 120))}`);
        }
      }),
    );
    console.log(`STOMP fuzz (seed ${SEED}): ${JSON.stringify(counts)}`);
    expect(unexplained).toEqual([]);
    expect(counts.error).toBeGreaterThan(STOMP_CASES / 2);
    expect(server.process.exitCode).toBeNull();
    // Still serving: a well-behaved client sends and gets its receipt.
    const client = await connectStomp(server.url, token);
    await client.sendMessage(room, 'still here');
    await client.close();
  }, 300_000);

  it(`${REST_CASES} random REST bodies and queries: 2xx or a JSON 4xx, never a 5xx`, async () => {
    const rng = new Rng(SEED + 1);
    const routes: [string, () => string][] = [
      ['POST', () => '/api/chat/rooms'],
      ['POST', () => '/api/chat/rooms/validate'],
      ['GET', () => `/api/chat/rooms?size=${encodeURIComponent(randomBody(rng).slice(0, 20))}&cursor=${encodeURIComponent(randomBody(rng).slice(0, 80))}`],
      ['GET', () => `/api/chat/messages/${rng.chance(0.5) ? room : encodeURIComponent(randomBody(rng).slice(0, 40))}?after=${encodeURIComponent(randomBody(rng).slice(0, 10))}`],
      ['PUT', () => `/api/users/${rng.int(1e6)}`],
      ['GET', () => `/api/chat/unread?userId=${encodeURIComponent(randomBody(rng).slice(0, 10))}`],
    ];
    const statuses = new Map<number, number>();
    const bad: string[] = [];
    for (let i = 0; i < REST_CASES; i++) {
      const [method, path] = rng.pick(routes);
      const target = path();
      const body = method === 'GET' ? undefined : randomBody(rng);
      const res = await fetch(`${server.url}${target}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': rng.chance(0.9) ? 'application/json' : 'text/plain' },
        ...(body === undefined ? {} : { body }),
      });
      const text = await res.text();
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      if (res.status >= 500) bad.push(`case ${i}: ${method} ${target.slice(0, 80)} → ${res.status} ${text.slice(0, 120)}`);
      else if (res.status >= 400) {
        let parsed: { code?: unknown; message?: unknown } | undefined;
        try {
          parsed = JSON.parse(text) as typeof parsed;
        } catch {
          /* not JSON */
        }
        if (typeof parsed?.code !== 'string' || typeof parsed?.message !== 'string') bad.push(`case ${i}: ${res.status} without a JSON {code, message}: ${text.slice(0, 120)}`);
      }
    }
    console.log(`REST fuzz (seed ${SEED + 1}): ${JSON.stringify(Object.fromEntries(statuses))}`);
    expect(bad).toEqual([]);
    expect(server.process.exitCode).toBeNull();
    expect((await api(server.url, token, 'GET', '/api/chat/rooms')).status).toBe(200);
  }, 300_000);
});
