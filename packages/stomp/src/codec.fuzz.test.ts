import { StompDecoder, encodeFrame, type DecodedItem } from './codec.ts';
import { StompProtocolError, type StompVersion } from './frame.ts';
import { Rng } from '@sunsu/testkit';

// Deterministic property / fuzz tests for the STOMP codec. Every run uses the same seeds, so a failure is
// reproducible; the failing seed / case index is part of each assertion message.

// ---------------------------------------------------------------------------------------------------------------
// (a) Round trip: random frames -> encodeFrame -> heart-beats -> random chunking -> one decoder
// ---------------------------------------------------------------------------------------------------------------

/**
 * Commands whose headers are escaped. CONNECT / CONNECTED are never escaped (so a header containing an EOL
 * cannot be represented at all); they are generated separately with EOL-free headers. STOMP is left out:
 * the decoder treats it like CONNECT (no unescaping) but encodeFrame escapes it, so it does not round-trip.
 */
const ESCAPED_COMMANDS = ['SEND', 'MESSAGE', 'ERROR', 'RECEIPT', 'SUBSCRIBE', 'UNSUBSCRIBE', 'ACK', 'NACK', 'BEGIN', 'COMMIT', 'ABORT', 'DISCONNECT'] as const;
const RAW_COMMANDS = ['CONNECT', 'CONNECTED'] as const;

/** Header alphabet: the characters that must be escaped, plain ASCII, and multi-byte code points (BMP and astral). */
const SPECIAL = [':', '\\', '\n', '\r'];
const ASCII = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./ ,;=*#@!?'.split('');
const UNICODE = ['é', 'ß', 'ü', '한', '국', '어', '김', '中', '文', '€', '😀', '👋', '🚀', '𝄞', '\u00a0', '\u200b'];

function randomText(rng: Rng, minLen: number, maxLen: number, allowSpecial: boolean): string {
  const len = rng.range(minLen, maxLen);
  let s = '';
  for (let i = 0; i < len; i++) {
    const r = rng.next();
    if (allowSpecial && r < 0.2) s += rng.pick(SPECIAL);
    else if (r < 0.4) s += rng.pick(UNICODE);
    else s += rng.pick(ASCII);
  }
  return s;
}

function randomBody(rng: Rng): Buffer {
  const kind = rng.int(10);
  if (kind < 2) return Buffer.alloc(0);
  if (kind < 4) return Buffer.from(Array.from({ length: rng.range(1, 16) }, () => rng.pick([0, 0, 0x0a, 0x0d, 0x5c, 0x3a, rng.int(256)])));
  if (kind < 6) return Buffer.from(randomText(rng, 1, 40, true), 'utf8');
  if (kind < 9) return rng.bytes(rng.range(1, 300));
  return rng.bytes(rng.range(300, 3000));
}

interface GeneratedFrame {
  command: string;
  headers: Record<string, string>;
  body: Buffer;
}

function randomFrame(rng: Rng): GeneratedFrame {
  const raw = rng.chance(0.1);
  const command = raw ? rng.pick(RAW_COMMANDS) : rng.pick(ESCAPED_COMMANDS);
  const headers: Record<string, string> = {};
  const count = rng.range(0, 10);
  for (let i = 0; i < count; i++) {
    // Raw (CONNECT/CONNECTED) header names cannot contain ':' or EOLs, values cannot contain EOLs.
    let name = raw ? randomText(rng, 1, 12, false).replace(/:/g, '') : randomText(rng, 1, 12, true);
    if (name === '' || name === 'content-length' || Object.hasOwn(headers, name)) name = `h${i}-${name}`;
    headers[name] = raw ? randomText(rng, 0, 30, false) + rng.pick(['', ':', '\\', '\\c', 'a:b']) : randomText(rng, 0, 30, true);
  }
  return { command, headers, body: randomBody(rng) };
}

/** What the decoder must return for `frame` once it went through encodeFrame. */
function expectedAfterEncoding(frame: GeneratedFrame): GeneratedFrame {
  const headers = { ...frame.headers };
  if (frame.body.length > 0 || frame.command === 'MESSAGE' || frame.command === 'ERROR') headers['content-length'] = String(frame.body.length);
  return { command: frame.command, headers, body: frame.body };
}

function heartbeats(rng: Rng, max: number): Buffer[] {
  return Array.from({ length: rng.range(0, max) }, () => Buffer.from(rng.chance(0.5) ? '\n' : '\r\n'));
}

/** Random chunk sizes: mostly tiny (byte-level splits), sometimes medium, occasionally large. */
function randomChunks(rng: Rng, stream: Buffer): Buffer[] {
  const chunks: Buffer[] = [];
  let offset = 0;
  while (offset < stream.length) {
    const r = rng.next();
    const size = r < 0.3 ? rng.range(1, 4) : r < 0.8 ? rng.range(1, 64) : r < 0.97 ? rng.range(64, 1024) : rng.range(1024, 16384);
    chunks.push(stream.subarray(offset, offset + size));
    offset += size;
  }
  return chunks;
}

type ExpectedItem = { type: 'heartbeat' } | { type: 'frame'; frame: GeneratedFrame };

function describeItem(item: DecodedItem | ExpectedItem | undefined): string {
  if (!item) return 'nothing';
  if (item.type === 'heartbeat') return 'heartbeat';
  const { body } = item.frame;
  const hex = body.length > 48 ? `${body.subarray(0, 48).toString('hex')}... (${body.length} bytes)` : body.toString('hex');
  return JSON.stringify({ command: item.frame.command, headers: item.frame.headers, body: hex });
}

function roundTrip(seed: number, frameCount: number, version: StompVersion): void {
  const rng = new Rng(seed);
  const expected: ExpectedItem[] = [];
  const parts: Buffer[] = [];
  const pushHeartbeats = (max: number): void => {
    for (const hb of heartbeats(rng, max)) {
      parts.push(hb);
      expected.push({ type: 'heartbeat' });
    }
  };
  pushHeartbeats(3);
  for (let i = 0; i < frameCount; i++) {
    const frame = randomFrame(rng);
    if (version === '1.1') {
      // 1.1 has no \r escape (encodeFrame drops CRs from escaped headers), so generate CR-free headers.
      const cleaned: Record<string, string> = {};
      for (const [k, v] of Object.entries(frame.headers)) {
        const name = k.replace(/\r/g, '');
        if (name !== '' && name !== 'content-length' && !Object.hasOwn(cleaned, name)) cleaned[name] = v.replace(/\r/g, '');
      }
      frame.headers = cleaned;
    }
    parts.push(encodeFrame(frame, version));
    expected.push({ type: 'frame', frame: expectedAfterEncoding(frame) });
    pushHeartbeats(rng.chance(0.5) ? 0 : 3);
  }
  const stream = Buffer.concat(parts);
  const chunks = randomChunks(rng, stream);

  const decoder = new StompDecoder();
  decoder.version = version;
  const actual: DecodedItem[] = [];
  for (const chunk of chunks) actual.push(...decoder.push(chunk));

  expect(decoder.pending).toBe(0);
  const mismatches: string[] = [];
  for (let i = 0; i < Math.max(expected.length, actual.length); i++) {
    const e = expected[i];
    const a = actual[i];
    let same = e !== undefined && a !== undefined && e.type === a.type;
    if (same && e?.type === 'frame' && a?.type === 'frame') {
      same = e.frame.command === a.frame.command
        && JSON.stringify(Object.entries(e.frame.headers)) === JSON.stringify(Object.entries(a.frame.headers))
        && e.frame.body.equals(a.frame.body);
    }
    if (!same) mismatches.push(`seed ${seed} item ${i}: expected ${describeItem(e)}, got ${describeItem(a)}`);
    if (mismatches.length >= 5) break;
  }
  expect(mismatches).toEqual([]);
  expect(actual).toHaveLength(expected.length);
  expect(actual.filter((item) => item.type === 'frame')).toHaveLength(frameCount);
}

describe('STOMP codec round-trip fuzz', () => {
  it('decodes 2,000 random 1.2 frames, randomly chunked with heart-beats, back to the originals', () => {
    roundTrip(0x5eed_0001, 2000, '1.2');
  });

  it('decodes 500 random 1.1 frames (no \\r escape) back to the originals', () => {
    roundTrip(0x5eed_0011, 500, '1.1');
  });

  it.each([1, 2, 3, 4, 5])('round-trips with independent seed #%d (200 frames)', (n) => {
    roundTrip(0x1234_0000 + n, 200, '1.2');
  });
});

// ---------------------------------------------------------------------------------------------------------------
// (b) Garbage: random byte chunks never crash the decoder with anything but StompProtocolError
// ---------------------------------------------------------------------------------------------------------------

const GARBAGE_LIMITS = { maxFrameBytes: 4096, maxHeaders: 16, maxHeaderLineBytes: 512 };

const TOKENS = [
  'SEND', 'MESSAGE', 'CONNECT', 'CONNECTED', 'STOMP', 'ERROR', 'send', 'X', '\n', '\n', '\r\n', '\r', '\0', '\0', ':',
  'content-length:', 'content-length:0', 'content-length:5', 'content-length:99999', 'content-length:-1', 'content-length:abc',
  'receipt:', 'receipt:r1', 'destination:/q', '\\', '\\c', '\\n', '\\r', '\\t', '\\\\', 'é', '😀', '한',
  'h:v\n', '\n\n', '\r\n\r\n', ' ',
];

function garbageChunk(rng: Rng): Buffer {
  const kind = rng.int(10);
  if (kind < 3) return rng.bytes(rng.range(1, rng.chance(0.9) ? 64 : 2048));
  if (kind < 7) {
    // Token soup: structurally interesting but usually malformed.
    const parts: Buffer[] = [];
    const n = rng.range(1, 40);
    for (let i = 0; i < n; i++) parts.push(rng.chance(0.85) ? Buffer.from(rng.pick(TOKENS)) : rng.bytes(rng.range(1, 8)));
    return Buffer.concat(parts);
  }
  if (kind < 9) {
    // A valid frame, possibly truncated or with one byte flipped.
    const frame = encodeFrame(randomFrame(rng), '1.2');
    const cut = rng.chance(0.5) ? frame.subarray(0, rng.range(1, frame.length)) : Buffer.from(frame);
    if (rng.chance(0.5) && cut.length > 0) cut[rng.int(cut.length)] = rng.int(256);
    return Buffer.concat([...heartbeats(rng, 3), cut, ...heartbeats(rng, 3)]);
  }
  // Long runs that grow the buffer towards the limit (header block or body that never ends).
  return Buffer.alloc(rng.range(100, 2048), rng.pick([0x41, 0x61, 0x3a, 0x20, 0x0d, 0xff]));
}

describe('STOMP decoder garbage fuzz', () => {
  it('only ever returns items or throws StompProtocolError, and bounds its buffer, over 5,000 random chunks', () => {
    const rng = new Rng(0x6a7b_a6e0);
    const failures: string[] = [];
    const stats = { chunks: 0, decoders: 0, protocolErrors: 0, frames: 0, heartbeats: 0 };
    const started = performance.now();
    while (stats.chunks < 5000 && failures.length < 5) {
      const decoder = new StompDecoder(GARBAGE_LIMITS);
      decoder.version = rng.pick(['1.0', '1.1', '1.2'] as const);
      stats.decoders++;
      const history: Buffer[] = [];
      const sessionLength = rng.range(1, 20);
      for (let i = 0; i < sessionLength && stats.chunks < 5000; i++) {
        const chunk = garbageChunk(rng);
        history.push(chunk);
        stats.chunks++;
        const repro = (): string => `decoder #${stats.decoders} (version ${decoder.version}) chunks ${JSON.stringify(history.map((c) => c.toString('base64')))}`;
        const pushStarted = performance.now();
        let failed = false;
        try {
          const items = decoder.push(chunk);
          if (!Array.isArray(items)) failures.push(`push returned a non-array: ${repro()}`);
          for (const item of items) {
            if (item.type === 'heartbeat') stats.heartbeats++;
            else if (item.type === 'frame' && Buffer.isBuffer(item.frame.body) && typeof item.frame.command === 'string') stats.frames++;
            else failures.push(`malformed item ${JSON.stringify(item)}: ${repro()}`);
          }
          // After a successful push the decoder holds less than one frame's worth of bytes.
          if (decoder.pending >= GARBAGE_LIMITS.maxFrameBytes) failures.push(`pending ${decoder.pending} >= maxFrameBytes: ${repro()}`);
        } catch (err) {
          if (err instanceof StompProtocolError) stats.protocolErrors++;
          else failures.push(`unexpected ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}: ${repro()}`);
          failed = true;
        }
        if (decoder.pending > GARBAGE_LIMITS.maxFrameBytes + chunk.length) {
          failures.push(`pending ${decoder.pending} > maxFrameBytes + chunk (${chunk.length}): ${repro()}`);
        }
        const elapsed = performance.now() - pushStarted;
        if (elapsed > 1000) failures.push(`push took ${elapsed.toFixed(0)} ms: ${repro()}`);
        if (failed) break; // the session is closed after a protocol error; start a fresh decoder
      }
    }
    expect(failures).toEqual([]);
    expect(stats.chunks).toBe(5000);
    // The generator must actually exercise every outcome.
    expect(stats.protocolErrors).toBeGreaterThan(100);
    expect(stats.frames).toBeGreaterThan(100);
    expect(stats.heartbeats).toBeGreaterThan(100);
    expect(performance.now() - started).toBeLessThan(20_000);
  });

  it('survives 5,000 chunks of pure random bytes fed to fresh decoders', () => {
    const rng = new Rng(0xbad_c0de);
    const failures: string[] = [];
    for (let i = 0; i < 5000 && failures.length < 5; i++) {
      const decoder = new StompDecoder(GARBAGE_LIMITS);
      const chunk = rng.bytes(rng.range(1, rng.chance(0.95) ? 256 : 8192));
      try {
        decoder.push(chunk);
        if (decoder.pending >= GARBAGE_LIMITS.maxFrameBytes) failures.push(`pending ${decoder.pending}: ${chunk.toString('base64')}`);
      } catch (err) {
        if (!(err instanceof StompProtocolError)) failures.push(`unexpected ${String(err)}: ${chunk.toString('base64')}`);
      }
      if (decoder.pending > GARBAGE_LIMITS.maxFrameBytes + chunk.length) failures.push(`pending ${decoder.pending}: ${chunk.toString('base64')}`);
    }
    expect(failures).toEqual([]);
  });
});
