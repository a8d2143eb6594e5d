import {
  DEFAULT_LIMITS,
  StompDecoder,
  encodeFrame,
  escapeHeader,
  negotiateHeartBeat,
  negotiateVersion,
  parseHeartBeat,
  type DecodedItem,
  type DecoderLimits,
} from './codec.ts';
import { StompProtocolError, type StompFrame, type StompVersion } from './frame.ts';

// ---------------------------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------------------------

interface DecodeOptions {
  limits?: Partial<DecoderLimits>;
  version?: StompVersion;
}

function makeDecoder(opts: DecodeOptions = {}): StompDecoder {
  const decoder = new StompDecoder(opts.limits);
  if (opts.version) decoder.version = opts.version;
  return decoder;
}

/** Decode one input in a single push. */
function decode(input: string | Buffer, opts: DecodeOptions = {}): DecodedItem[] {
  return makeDecoder(opts).push(input);
}

/** Feed every chunk to one decoder and collect all items. */
function feed(chunks: (string | Buffer)[], opts: DecodeOptions = {}): DecodedItem[] {
  const decoder = makeDecoder(opts);
  const items: DecodedItem[] = [];
  for (const chunk of chunks) items.push(...decoder.push(chunk));
  expect(decoder.pending).toBe(0);
  return items;
}

function framesOf(items: DecodedItem[]): StompFrame[] {
  return items.flatMap((item) => (item.type === 'frame' ? [item.frame] : []));
}

function onlyFrame(items: DecodedItem[]): StompFrame {
  expect(items).toHaveLength(1);
  const item = items[0]!;
  if (item.type !== 'frame') throw new Error(`expected a frame, got ${item.type}`);
  return item.frame;
}

/** 'heartbeat' or the command of each item, in order. */
function kinds(items: DecodedItem[]): string[] {
  return items.map((item) => (item.type === 'frame' ? item.frame.command : 'heartbeat'));
}

/** Run fn, require it to throw a StompProtocolError (any other outcome fails the test), and return the error. */
function protocolError(fn: () => unknown): StompProtocolError {
  try {
    fn();
  } catch (err) {
    if (err instanceof StompProtocolError) return err;
    throw new Error(`expected StompProtocolError, got ${String(err)}`, { cause: err });
  }
  throw new Error('expected StompProtocolError, nothing was thrown');
}

/** A plain, comparable view of a frame (body as a byte array). */
function plain(frame: StompFrame): { command: string; headers: Record<string, string>; body: number[] } {
  return { command: frame.command, headers: { ...frame.headers }, body: [...frame.body] };
}

/** Split `bytes` at the given (sorted, in-range) offsets. */
function splitAt(bytes: Buffer, points: number[]): Buffer[] {
  const chunks: Buffer[] = [];
  let last = 0;
  for (const p of points) {
    chunks.push(bytes.subarray(last, p));
    last = p;
  }
  chunks.push(bytes.subarray(last));
  return chunks;
}

const b = (s: string): Buffer => Buffer.from(s, 'utf8');

// ---------------------------------------------------------------------------------------------------------------
// Decoder: basic framing
// ---------------------------------------------------------------------------------------------------------------

describe('StompDecoder basic framing', () => {
  it('decodes a simple SEND frame', () => {
    const frame = onlyFrame(decode('SEND\ndestination:/queue/a\ncontent-type:text/plain\n\nhello world\0'));
    expect(frame.command).toBe('SEND');
    expect(frame.headers).toEqual({ destination: '/queue/a', 'content-type': 'text/plain' });
    expect(Buffer.isBuffer(frame.body)).toBe(true);
    expect(frame.body.toString('utf8')).toBe('hello world');
  });

  it('decodes a frame with no headers and an empty body', () => {
    const frame = onlyFrame(decode('DISCONNECT\n\n\0'));
    expect(plain(frame)).toEqual({ command: 'DISCONNECT', headers: {}, body: [] });
  });

  it('accepts CRLF line endings for the command, the headers and the blank line', () => {
    const frame = onlyFrame(decode('SEND\r\ndestination:/queue/a\r\nreceipt:r-1\r\n\r\nbody\r\n\0'));
    expect(frame.command).toBe('SEND');
    expect(frame.headers).toEqual({ destination: '/queue/a', receipt: 'r-1' });
    // The body is not subject to EOL handling: the CRLF inside it is kept byte for byte.
    expect(frame.body.toString('utf8')).toBe('body\r\n');
  });

  it('accepts CRLF line endings on a frame without headers', () => {
    expect(plain(onlyFrame(decode('DISCONNECT\r\n\r\n\0')))).toEqual({ command: 'DISCONNECT', headers: {}, body: [] });
  });

  it('accepts mixed LF and CRLF line endings in one frame', () => {
    const frame = onlyFrame(decode('SEND\r\na:1\nb:2\r\n\nx\0'));
    expect(frame.headers).toEqual({ a: '1', b: '2' });
    expect(frame.body.toString()).toBe('x');
    const frame2 = onlyFrame(decode('SEND\na:1\n\r\nx\0'));
    expect(frame2.headers).toEqual({ a: '1' });
    expect(frame2.body.toString()).toBe('x');
  });

  it('decodes several frames delivered in one chunk, in order', () => {
    const items = decode(
      'SEND\ndestination:/a\n\none\0' +
      'SUBSCRIBE\nid:1\ndestination:/b\n\n\0' +
      'SEND\ndestination:/c\ncontent-length:3\n\nt\0o\0' +
      'DISCONNECT\nreceipt:77\n\n\0',
    );
    expect(kinds(items)).toEqual(['SEND', 'SUBSCRIBE', 'SEND', 'DISCONNECT']);
    const [f1, f2, f3, f4] = framesOf(items);
    expect(f1!.body.toString()).toBe('one');
    expect(f2!.headers).toEqual({ id: '1', destination: '/b' });
    expect([...f3!.body]).toEqual([0x74, 0x00, 0x6f]);
    expect(f4!.headers).toEqual({ receipt: '77' });
  });

  it('keeps an incomplete frame pending and completes it on the next push', () => {
    const decoder = new StompDecoder();
    expect(decoder.push('SEND\ndestination:/a\n')).toEqual([]);
    expect(decoder.pending).toBe('SEND\ndestination:/a\n'.length);
    expect(decoder.push('\nhel')).toEqual([]);
    const items = decoder.push('lo\0SEN');
    expect(onlyFrame(items).body.toString()).toBe('hello');
    expect(decoder.pending).toBe(3);
    expect(decoder.push('D\n\n\0').map((i) => i.type)).toEqual(['frame']);
    expect(decoder.pending).toBe(0);
  });

  it('returns an empty list for an empty chunk', () => {
    const decoder = new StompDecoder();
    expect(decoder.push('')).toEqual([]);
    expect(decoder.push(Buffer.alloc(0))).toEqual([]);
    expect(decoder.pending).toBe(0);
  });

  it('accepts string and Buffer chunks alike', () => {
    const s = 'SEND\na:ü\n\nö\0';
    expect(plain(onlyFrame(decode(s)))).toEqual(plain(onlyFrame(decode(b(s)))));
  });

  it('returns a body that does not alias the input buffer', () => {
    const input = b('SEND\n\nabc\0');
    const frame = onlyFrame(decode(input));
    input.fill(0x7a);
    expect(frame.body.toString()).toBe('abc');
  });

  it('allows an empty header value and a value containing further colons', () => {
    const frame = onlyFrame(decode('SEND\nempty:\nx:1\n\n\0'));
    expect(frame.headers).toEqual({ empty: '', x: '1' });
    // CONNECT is never unescaped; the value is everything after the first colon.
    expect(onlyFrame(decode('CONNECT\nhost:a:b:c\n\n\0')).headers).toEqual({ host: 'a:b:c' });
  });

  it('decodes UTF-8 header names, values and bodies', () => {
    const frame = onlyFrame(decode('SEND\n이름:김철수 😀\n\n안녕하세요 👋\0'));
    expect(frame.headers).toEqual({ 이름: '김철수 😀' });
    expect(frame.body.toString('utf8')).toBe('안녕하세요 👋');
  });

  it('accepts an unknown but well-formed command (the session decides what to do with it)', () => {
    expect(onlyFrame(decode('FOO\n\n\0')).command).toBe('FOO');
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Decoder: chunk boundaries
// ---------------------------------------------------------------------------------------------------------------

describe('StompDecoder chunk boundaries', () => {
  const lfFrame = b('SEND\ndestination:/queue/한국\nx-name:김철수😀\nreceipt:r1\n\n안녕하세요 👋 body\0');
  const crlfFrame = encodeFrame({ command: 'MESSAGE', headers: { destination: '/t/😀', 'x-esc': 'a:b\\c\nd' }, body: b('ä\0\0안\0👋') })
    .toString('latin1')
    .replace(/\n/g, '\r\n');
  const crlfBytes = Buffer.from(crlfFrame, 'latin1');

  const isContinuationByte = (byte: number | undefined): boolean => byte !== undefined && (byte & 0xc0) === 0x80;

  it('decodes an LF frame split into two chunks at every byte boundary (incl. inside UTF-8 characters)', () => {
    const expected = plain(onlyFrame(decode(lfFrame)));
    expect(expected.headers).toEqual({ destination: '/queue/한국', 'x-name': '김철수😀', receipt: 'r1' });
    let insideMultibyte = 0;
    for (let i = 1; i < lfFrame.length; i++) {
      if (isContinuationByte(lfFrame[i])) insideMultibyte++;
      const items = feed(splitAt(lfFrame, [i]));
      expect(items.map(plainItem)).toEqual([{ frame: expected }]);
    }
    // Sanity: the loop really did cut through multi-byte characters in both headers and body.
    expect(insideMultibyte).toBeGreaterThan(20);
  });

  it('decodes a CRLF frame with a NUL-containing content-length body split at every byte boundary', () => {
    const expected = plain(onlyFrame(decode(crlfBytes)));
    expect(expected.headers).toEqual({ destination: '/t/😀', 'x-esc': 'a:b\\c\nd', 'content-length': String(b('ä\0\0안\0👋').length) });
    expect(Buffer.from(expected.body).equals(b('ä\0\0안\0👋'))).toBe(true);
    for (let i = 1; i < crlfBytes.length; i++) {
      expect(feed(splitAt(crlfBytes, [i])).map(plainItem)).toEqual([{ frame: expected }]);
    }
  });

  it('decodes a frame split into three chunks at every pair of byte boundaries', () => {
    const frame = b('SEND\nd:/q/é\nk:😀\n\n한😀\0');
    const expected = plain(onlyFrame(decode(frame)));
    for (let i = 1; i < frame.length; i++) {
      for (let j = i; j < frame.length; j++) {
        expect(feed(splitAt(frame, [i, j])).map(plainItem)).toEqual([{ frame: expected }]);
      }
    }
  });

  it('decodes a stream of frames and heart-beats fed one byte at a time', () => {
    const stream = Buffer.concat([b('\n\r\n'), lfFrame, b('\r\n'), crlfBytes, b('\n\n'), encodeFrame({ command: 'RECEIPT', headers: { 'receipt-id': 'z' } })]);
    const whole = decode(stream).map(plainItem);
    expect(whole.map((i) => ('frame' in i ? i.frame.command : 'heartbeat'))).toEqual([
      'heartbeat', 'heartbeat', 'SEND', 'heartbeat', 'MESSAGE', 'heartbeat', 'heartbeat', 'RECEIPT',
    ]);
    const chunks: Buffer[] = [];
    for (let i = 0; i < stream.length; i++) chunks.push(stream.subarray(i, i + 1));
    expect(feed(chunks).map(plainItem)).toEqual(whole);
  });

  it('decodes a multi-frame stream split at every byte boundary', () => {
    const stream = Buffer.concat([lfFrame, b('\r\n'), crlfBytes, b('\n')]);
    const whole = decode(stream).map(plainItem);
    expect(whole).toHaveLength(4);
    for (let i = 1; i < stream.length; i++) expect(feed(splitAt(stream, [i])).map(plainItem)).toEqual(whole);
  });
});

function plainItem(item: DecodedItem): { frame: ReturnType<typeof plain> } | { heartbeat: true } {
  return item.type === 'frame' ? { frame: plain(item.frame) } : { heartbeat: true };
}

// ---------------------------------------------------------------------------------------------------------------
// Decoder: bodies
// ---------------------------------------------------------------------------------------------------------------

describe('StompDecoder bodies', () => {
  it('reads exactly content-length bytes, NULs included', () => {
    const frame = onlyFrame(decode(Buffer.concat([b('SEND\ncontent-length:6\n\n'), Buffer.from([0, 1, 0, 0, 0xff, 0]), Buffer.from([0])])));
    expect([...frame.body]).toEqual([0, 1, 0, 0, 0xff, 0]);
    expect(frame.headers['content-length']).toBe('6');
  });

  it('accepts every byte value in a content-length body', () => {
    const body = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const frame = onlyFrame(decode(Buffer.concat([b('SEND\ncontent-length:256\n\n'), body, Buffer.from([0])])));
    expect(frame.body.equals(body)).toBe(true);
  });

  it('accepts content-length:0', () => {
    expect(plain(onlyFrame(decode('SEND\ncontent-length:0\n\n\0')))).toEqual({ command: 'SEND', headers: { 'content-length': '0' }, body: [] });
  });

  it('counts content-length in bytes, not characters', () => {
    const body = '한😀'; // 3 + 4 bytes
    const frame = onlyFrame(decode(`SEND\ncontent-length:7\n\n${body}\0`));
    expect(frame.body.toString('utf8')).toBe(body);
  });

  it('waits while fewer than content-length bytes (+ NUL) have arrived', () => {
    const decoder = new StompDecoder();
    expect(decoder.push('SEND\ncontent-length:5\n\nab\0')).toEqual([]);
    expect(decoder.push('c\0')).toEqual([]);
    const items = decoder.push('\0SEND\n\n\0');
    expect(framesOf(items).map((f) => [...f.body])).toEqual([[0x61, 0x62, 0, 0x63, 0], []]);
  });

  it('ends a body without content-length at the first NUL; the rest is the next frame', () => {
    const items = decode('SEND\n\nab\0SEND\nk:v\n\ncd\0');
    expect(framesOf(items).map(plain)).toEqual([
      { command: 'SEND', headers: {}, body: [0x61, 0x62] },
      { command: 'SEND', headers: { k: 'v' }, body: [0x63, 0x64] },
    ]);
  });

  it('rejects a body longer than content-length (missing NUL after the declared length)', () => {
    const err = protocolError(() => decode('SEND\nreceipt:r-9\ncontent-length:2\n\nabc\0'));
    expect(err.message).toMatch(/content-length|NUL/);
    expect(err.receiptId).toBe('r-9');
  });

  it.each(['abc', '-1', '', '1.5', ' 5', '5 ', '+5', '0x10', '1e3', '12345678901'])('rejects invalid content-length %j', (value) => {
    const err = protocolError(() => decode(`SEND\nreceipt:cl\ncontent-length:${value}\n\nx\0`));
    expect(err.message).toMatch(/content-length/);
    expect(err.receiptId).toBe('cl');
  });

  it('uses the first content-length header when it is repeated', () => {
    const frame = onlyFrame(decode('SEND\ncontent-length:3\ncontent-length:1\n\na\0b\0'));
    expect([...frame.body]).toEqual([0x61, 0, 0x62]);
    expect(frame.headers['content-length']).toBe('3');
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Decoder: heart-beats
// ---------------------------------------------------------------------------------------------------------------

describe('StompDecoder heart-beats', () => {
  it('reports a bare LF as a heart-beat', () => {
    expect(decode('\n')).toEqual([{ type: 'heartbeat' }]);
  });

  it('reports a bare CRLF as a heart-beat', () => {
    expect(decode('\r\n')).toEqual([{ type: 'heartbeat' }]);
  });

  it('reports each EOL as one heart-beat', () => {
    expect(kinds(decode('\n\r\n\n\r\n'))).toEqual(['heartbeat', 'heartbeat', 'heartbeat', 'heartbeat']);
  });

  it('reports heart-beats between, before and after frames in order', () => {
    const items = decode('\nSEND\n\na\0\r\n\nMESSAGE\ncontent-length:1\n\nb\0\r\n');
    expect(kinds(items)).toEqual(['heartbeat', 'SEND', 'heartbeat', 'heartbeat', 'MESSAGE', 'heartbeat']);
  });

  it('waits for the LF of a CRLF heart-beat split across chunks', () => {
    const decoder = new StompDecoder();
    expect(decoder.push('\r')).toEqual([]);
    expect(decoder.pending).toBe(1);
    expect(decoder.push('\n')).toEqual([{ type: 'heartbeat' }]);
    expect(decoder.pending).toBe(0);
  });

  it('rejects a bare CR outside a frame', () => {
    expect(protocolError(() => decode('\rSEND\n\n\0')).message).toMatch(/CR/);
    expect(protocolError(() => decode('SEND\n\n\0\r\r\n')).message).toMatch(/CR/);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Decoder: header escaping
// ---------------------------------------------------------------------------------------------------------------

describe('StompDecoder header unescaping', () => {
  it('1.2: unescapes \\n \\c \\\\ \\r in values', () => {
    const frame = onlyFrame(decode('SEND\nv:a\\nb\\cc\\\\d\\re\n\n\0', { version: '1.2' }));
    expect(frame.headers).toEqual({ v: 'a\nb:c\\d\re' });
  });

  it('1.2 is the default version of a new decoder', () => {
    expect(new StompDecoder().version).toBe('1.2');
    expect(onlyFrame(decode('SEND\nv:\\r\n\n\0')).headers).toEqual({ v: '\r' });
  });

  it('1.2: unescapes header names too', () => {
    const frame = onlyFrame(decode('SEND\na\\cb\\nc\\\\d\\re:v\n\n\0'));
    expect(frame.headers).toEqual({ 'a:b\nc\\d\re': 'v' });
  });

  it('1.2: an escaped backslash followed by n is a backslash and an n', () => {
    expect(onlyFrame(decode('SEND\nv:\\\\n\\\\\\\\\\c\n\n\0')).headers).toEqual({ v: '\\n\\\\:' });
  });

  it('1.2: a raw colon in a value (after the first colon) is kept', () => {
    expect(onlyFrame(decode('SEND\nv:a:b\n\n\0')).headers).toEqual({ v: 'a:b' });
  });

  it('1.1: unescapes \\n \\c \\\\', () => {
    expect(onlyFrame(decode('SEND\nk\\c:a\\nb\\cc\\\\d\n\n\0', { version: '1.1' })).headers).toEqual({ 'k:': 'a\nb:c\\d' });
  });

  it('1.1: \\r is not a defined escape', () => {
    const err = protocolError(() => decode('SEND\nreceipt:r11\nv:a\\rb\n\n\0', { version: '1.1' }));
    expect(err.message).toMatch(/escape/);
    expect(err.receiptId).toBe('r11');
  });

  it('1.0: does not unescape anything (not even undefined escapes)', () => {
    const frame = onlyFrame(decode('SEND\nv:a\\nb\\cc\\\\d\\re\\t\\\nk\\c:x\n\n\0', { version: '1.0' }));
    expect(frame.headers).toEqual({ v: 'a\\nb\\cc\\\\d\\re\\t\\', 'k\\c': 'x' });
  });

  it.each(['1.0', '1.1', '1.2'] as const)('never unescapes CONNECT / CONNECTED / STOMP headers (decoder version %s)', (version) => {
    for (const command of ['CONNECT', 'CONNECTED', 'STOMP']) {
      const frame = onlyFrame(decode(`${command}\nlogin:a\\cb\npasscode:x\\ty\\\nhost:h\\n\n\n\0`, { version }));
      expect(frame.command).toBe(command);
      expect(frame.headers).toEqual({ login: 'a\\cb', passcode: 'x\\ty\\', host: 'h\\n' });
    }
  });

  it.each([
    ['\\t', 'SEND\nv:a\\tb\n\n\0'],
    ['\\a', 'SEND\nv:\\a\n\n\0'],
    ['\\C (escapes are case-sensitive)', 'SEND\nv:\\C\n\n\0'],
    ['\\N', 'SEND\nv:\\N\n\n\0'],
    ['trailing backslash', 'SEND\nv:abc\\\n\n\0'],
    ['escape in a header name', 'SEND\nk\\x:v\n\n\0'],
    ['backslash before a multi-byte character', 'SEND\nv:\\한\n\n\0'],
  ])('1.2: rejects an undefined escape sequence (%s)', (_label, input) => {
    expect(protocolError(() => decode(input)).message).toMatch(/escape/);
  });

  it('carries the receipt of the frame on an undefined-escape error', () => {
    expect(protocolError(() => decode('SEND\nreceipt:abc\nv:\\t\n\n\0')).receiptId).toBe('abc');
  });

  it('follows a version change on an existing decoder', () => {
    const decoder = new StompDecoder();
    decoder.version = '1.0';
    expect(onlyFrame(decoder.push('SEND\nv:\\t\n\n\0')).headers).toEqual({ v: '\\t' });
    decoder.version = '1.2';
    expect(() => decoder.push('SEND\nv:\\t\n\n\0')).toThrow(StompProtocolError);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Decoder: header rules and malformed frames
// ---------------------------------------------------------------------------------------------------------------

describe('StompDecoder header rules', () => {
  it('keeps the first value of a repeated header', () => {
    const frame = onlyFrame(decode('MESSAGE\nfoo:World\nfoo:Hello\nbar:1\nfoo:x\n\n\0'));
    expect(frame.headers).toEqual({ foo: 'World', bar: '1' });
  });

  it('compares repeated header names after unescaping', () => {
    const frame = onlyFrame(decode('SEND\na\\cb:first\na:b:second\n\n\0'));
    // 'a\cb' unescapes to 'a:b'; 'a:b:second' is name 'a' value 'b:second'.
    expect(frame.headers).toEqual({ 'a:b': 'first', a: 'b:second' });
    expect(onlyFrame(decode('SEND\nx\\n:1\nx\\n:2\n\n\0')).headers).toEqual({ 'x\n': '1' });
  });

  it('treats header names case-sensitively', () => {
    expect(onlyFrame(decode('SEND\nFoo:1\nfoo:2\n\n\0')).headers).toEqual({ Foo: '1', foo: '2' });
  });

  // Was a bug (fixed): codec.ts uses `name in headers`, which also sees Object.prototype members, so headers named like
  // them ('constructor', 'toString', 'valueOf', 'hasOwnProperty', '__proto__', ...) are silently dropped.
  it('keeps headers whose names collide with Object.prototype members', () => {
    const frame = onlyFrame(decode('SEND\nconstructor:c\ntoString:t\nhasOwnProperty:h\n__proto__:p\n\n\0'));
    expect(Object.entries(frame.headers)).toEqual([['constructor', 'c'], ['toString', 't'], ['hasOwnProperty', 'h'], ['__proto__', 'p']]);
  });
});

describe('StompDecoder malformed frames', () => {
  it.each([
    ['lowercase', 'send'],
    ['trailing space', 'SEND '],
    ['leading space', ' SEND'],
    ['hyphen', 'SE-ND'],
    ['digit', 'SEND1'],
    ['33 letters', 'A'.repeat(33)],
    ['non-ASCII', 'SÉND'],
    ['control bytes', '\x01\x02'],
    ['NUL byte', '\0SEND'],
    ['tab', '\tSEND'],
  ])('rejects a malformed command line (%s)', (_label, command) => {
    expect(protocolError(() => decode(`${command}\nk:v\n\nbody\0`)).message).toMatch(/command/);
  });

  it('accepts a 32-letter command (the maximum length)', () => {
    expect(onlyFrame(decode(`${'A'.repeat(32)}\n\n\0`)).command).toBe('A'.repeat(32));
  });

  it('rejects a header line without a colon, with the receipt of that frame', () => {
    const before = protocolError(() => decode('SEND\nreceipt:r-77\ndestination:/a\nno colon here\n\nbody\0'));
    expect(before.message).toMatch(/header/);
    expect(before.receiptId).toBe('r-77');
    // The receipt header may also come after the malformed line.
    const after = protocolError(() => decode('SEND\nbroken\nreceipt:r-78\n\n\0'));
    expect(after.receiptId).toBe('r-78');
  });

  it('reports no receipt id when the malformed frame has none', () => {
    expect(protocolError(() => decode('SEND\nbroken\n\n\0')).receiptId).toBeUndefined();
  });

  it('rejects a header line with an empty name', () => {
    expect(protocolError(() => decode('SEND\nreceipt:e\n:value\n\n\0')).receiptId).toBe('e');
  });

  // Was a bug (fixed): the receipt id for header-line errors is taken from the *raw* line, so an escaped receipt header
  // ('receipt:a\cb' meaning 'a:b') is reported as 'a\cb', unlike other errors which use the unescaped value.
  it('reports the unescaped receipt id on a header-line error', () => {
    expect(protocolError(() => decode('SEND\nreceipt:a\\cb\nbroken\n\n\0')).receiptId).toBe('a:b');
  });

  it('rejects a header line longer than maxHeaderLineBytes, with the receipt', () => {
    const limits = { maxHeaderLineBytes: 64 };
    const ok = `SEND\nreceipt:ok\nx:${'v'.repeat(62)}\n\n\0`; // 'x:' + 62 = 64 bytes
    expect(onlyFrame(decode(ok, { limits })).headers.x).toHaveLength(62);
    const err = protocolError(() => decode(`SEND\nreceipt:big\nx:${'v'.repeat(63)}\n\n\0`, { limits }));
    expect(err.message).toMatch(/too long/);
    expect(err.receiptId).toBe('big');
    // The limit is in bytes: 21 three-byte characters + 'x:' = 65 bytes.
    expect(() => decode(`SEND\nx:${'한'.repeat(21)}\n\n\0`, { limits })).toThrow(StompProtocolError);
  });

  it('enforces maxHeaders (exactly the maximum is allowed)', () => {
    const headerLines = (n: number): string => Array.from({ length: n }, (_, i) => `h${i}:${i}\n`).join('');
    const limits = { maxHeaders: 5 };
    expect(Object.keys(onlyFrame(decode(`SEND\n${headerLines(5)}\n\0`, { limits })).headers)).toHaveLength(5);
    expect(protocolError(() => decode(`SEND\n${headerLines(6)}\n\0`, { limits })).message).toMatch(/too many headers/);
    // Repeated headers still count as lines.
    expect(() => decode('SEND\na:1\na:1\na:1\na:1\na:1\na:1\n\n\0', { limits })).toThrow(StompProtocolError);
  });

  it('enforces the default maxHeaders of 64', () => {
    expect(DEFAULT_LIMITS.maxHeaders).toBe(64);
    const lines = (n: number): string => Array.from({ length: n }, (_, i) => `h${i}:v\n`).join('');
    expect(() => decode(`SEND\n${lines(64)}\n\0`)).not.toThrow();
    expect(() => decode(`SEND\n${lines(65)}\n\0`)).toThrow(StompProtocolError);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Decoder: frame size limit
// ---------------------------------------------------------------------------------------------------------------

describe('StompDecoder frame-size limit', () => {
  const max = 256;
  const limits = { maxFrameBytes: max };
  /** A frame of exactly `size` bytes (NUL included) with an optional content-length header. */
  function sizedFrame(size: number, withContentLength: boolean): Buffer {
    if (withContentLength) {
      const headFor = (n: number): string => `SEND\ncontent-length:${n}\n\n`;
      const bodyLen = Array.from({ length: size }, (_, n) => n).find((n) => headFor(n).length + n + 1 === size);
      if (bodyLen === undefined) throw new Error(`no content-length frame of exactly ${size} bytes`);
      return Buffer.concat([b(headFor(bodyLen)), Buffer.alloc(bodyLen, 0x61), Buffer.from([0])]);
    }
    const out = Buffer.concat([b('SEND\n\n'), Buffer.alloc(size - 'SEND\n\n'.length - 1, 0x61), Buffer.from([0])]);
    expect(out.length).toBe(size);
    return out;
  }

  it('accepts a frame of exactly maxFrameBytes with content-length', () => {
    const frame = sizedFrame(max, true);
    expect(onlyFrame(decode(frame, { limits })).command).toBe('SEND');
  });

  it('accepts a frame of exactly maxFrameBytes without content-length', () => {
    expect(onlyFrame(decode(sizedFrame(max, false), { limits })).body).toHaveLength(max - 7);
  });

  it('rejects a frame one byte over maxFrameBytes with content-length, with the receipt', () => {
    expect(() => decode(sizedFrame(max + 1, true), { limits })).toThrow(/exceeds/);
    const err = protocolError(() => decode(`SEND\nreceipt:big\ncontent-length:${max}\n\n`, { limits }));
    expect(err.receiptId).toBe('big');
  });

  it('rejects an oversize content-length as soon as the headers arrive, before the body', () => {
    const decoder = new StompDecoder(limits);
    expect(() => decoder.push('SEND\ncontent-length:1000000\n\n')).toThrow(/exceeds/);
    expect(() => decode('SEND\ncontent-length:9999999999\n\n', { limits })).toThrow(/exceeds/);
  });

  it('rejects an incomplete frame without content-length once the buffer reaches the limit', () => {
    const decoder = new StompDecoder(limits);
    decoder.push('SEND\nreceipt:grow\n\n');
    const chunk = 'a'.repeat(10);
    let threw: StompProtocolError | undefined;
    for (let i = 0; i < 100 && !threw; i++) {
      try {
        expect(decoder.push(chunk)).toEqual([]);
        expect(decoder.pending).toBeLessThan(max);
      } catch (err) {
        if (!(err instanceof StompProtocolError)) throw err;
        threw = err;
      }
    }
    expect(threw?.message).toMatch(/exceeds/);
    expect(threw?.receiptId).toBe('grow');
    expect(decoder.pending).toBeLessThanOrEqual(max + chunk.length);
  });

  it('rejects a huge partial header block (no blank line yet) instead of buffering forever', () => {
    const decoder = new StompDecoder({ maxFrameBytes: 4096 });
    decoder.push('SEND\nx:');
    const chunk = Buffer.alloc(1000, 0x62);
    let pushes = 0;
    expect(() => {
      for (;;) {
        pushes++;
        decoder.push(chunk);
        expect(decoder.pending).toBeLessThan(4096);
        if (pushes > 1000) throw new Error('decoder buffered far beyond maxFrameBytes');
      }
    }).toThrow(StompProtocolError);
    expect(pushes).toBe(5); // 7 + 4 * 1000 < 4096 <= 7 + 5 * 1000
    expect(decoder.pending).toBeLessThanOrEqual(4096 + chunk.length);
  });

  it('rejects a huge partial frame delivered in one chunk', () => {
    expect(() => decode(Buffer.alloc(10_000, 0x41), { limits })).toThrow(/exceeds/);
    expect(() => decode(`SEND\n${'h:v\n'.repeat(100)}`, { limits })).toThrow(/exceeds/);
  });

  it('uses 64 KiB as the default frame limit', () => {
    expect(DEFAULT_LIMITS.maxFrameBytes).toBe(64 * 1024);
    expect(() => decode(`SEND\ncontent-length:${64 * 1024}\n\n`)).toThrow(/exceeds/);
    expect(() => decode(`SEND\ncontent-length:${60 * 1024}\n\n`)).not.toThrow();
  });

  // Was a bug (fixed): without content-length the limit is only checked while the NUL has not arrived yet; a complete
  // oversize frame (NUL included in the same push) is accepted whatever its size.
  it('rejects a complete frame without content-length that exceeds maxFrameBytes', () => {
    expect(() => decode(sizedFrame(max + 1, false), { limits })).toThrow(/exceeds/);
    const decoder = new StompDecoder(limits);
    decoder.push('SEND\n\n' + 'a'.repeat(200));
    expect(() => decoder.push('a'.repeat(200) + '\0')).toThrow(/exceeds/);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Encoder
// ---------------------------------------------------------------------------------------------------------------

describe('encodeFrame', () => {
  it('encodes a frame byte for byte', () => {
    const bytes = encodeFrame({ command: 'MESSAGE', headers: { destination: '/a', 'message-id': '1' }, body: 'hello' });
    expect(bytes.toString('latin1')).toBe('MESSAGE\ndestination:/a\nmessage-id:1\ncontent-length:5\n\nhello\0');
  });

  it('writes a byte-exact content-length for multi-byte bodies and round-trips them', () => {
    const body = '안녕하세요 👋 é'; // 15 + 1 + 4 + 1 + 2
    const bytes = encodeFrame({ command: 'SEND', headers: { destination: '/q' }, body });
    expect(bytes.toString('utf8')).toContain(`content-length:${Buffer.byteLength(body)}\n`);
    expect(Buffer.byteLength(body)).toBe(23);
    const frame = onlyFrame(decode(bytes));
    expect(frame.body.toString('utf8')).toBe(body);
    expect(frame.headers).toEqual({ destination: '/q', 'content-length': '23' });
  });

  it('round-trips a binary body containing NULs', () => {
    const body = Buffer.from([0, 0, 1, 0, 255, 0]);
    const frame = onlyFrame(decode(encodeFrame({ command: 'SEND', body })));
    expect(frame.body.equals(body)).toBe(true);
  });

  it('always adds content-length to MESSAGE and ERROR, even with an empty body', () => {
    expect(encodeFrame({ command: 'MESSAGE', headers: { a: '1' } }).toString()).toBe('MESSAGE\na:1\ncontent-length:0\n\n\0');
    expect(encodeFrame({ command: 'ERROR', body: '' }).toString()).toBe('ERROR\ncontent-length:0\n\n\0');
    expect(onlyFrame(decode(encodeFrame({ command: 'ERROR' }))).headers).toEqual({ 'content-length': '0' });
  });

  it('omits content-length for other frames with an empty body', () => {
    expect(encodeFrame({ command: 'RECEIPT', headers: { 'receipt-id': '9' } }).toString()).toBe('RECEIPT\nreceipt-id:9\n\n\0');
    expect(encodeFrame({ command: 'CONNECTED' }).toString()).toBe('CONNECTED\n\n\0');
  });

  it('replaces a caller-supplied content-length with the real one', () => {
    const text = encodeFrame({ command: 'MESSAGE', headers: { 'content-length': '999', a: 'b' }, body: 'xy' }).toString();
    expect(text).toBe('MESSAGE\na:b\ncontent-length:2\n\nxy\0');
    expect(encodeFrame({ command: 'SEND', headers: { 'content-length': '5' } }).toString()).toBe('SEND\n\n\0');
  });

  it('skips headers whose value is undefined', () => {
    expect(encodeFrame({ command: 'RECEIPT', headers: { a: undefined, b: '2' } }).toString()).toBe('RECEIPT\nb:2\n\n\0');
  });

  it('1.2: escapes : \\n \\\\ \\r in header names and values, and the decoder restores them', () => {
    const headers = { 'we:ird\n\\na\rme': 'v:a\nl\\u\re', plain: 'x' };
    const bytes = encodeFrame({ command: 'MESSAGE', headers }, '1.2');
    expect(bytes.toString()).toBe('MESSAGE\nwe\\cird\\n\\\\na\\rme:v\\ca\\nl\\\\u\\re\nplain:x\ncontent-length:0\n\n\0');
    expect(onlyFrame(decode(bytes)).headers).toEqual({ ...headers, 'content-length': '0' });
  });

  it('1.2: escapes a backslash before other escapes (no double interpretation)', () => {
    expect(escapeHeader('\\n', '1.2')).toBe('\\\\n');
    expect(escapeHeader('\\c:\\', '1.2')).toBe('\\\\c\\c\\\\');
    const headers = { v: '\\n\\c\\\\\\r' };
    expect(onlyFrame(decode(encodeFrame({ command: 'RECEIPT', headers }))).headers).toEqual(headers);
  });

  it('1.1: escapes : \\n \\\\ and drops \\r (no \\r escape in 1.1)', () => {
    expect(escapeHeader('a:b\nc\\d\re', '1.1')).toBe('a\\cb\\nc\\\\de');
    const bytes = encodeFrame({ command: 'MESSAGE', headers: { 'k:': 'a:b\nc\\d\re' } }, '1.1');
    expect(onlyFrame(decode(bytes, { version: '1.1' })).headers).toEqual({ 'k:': 'a:b\nc\\de', 'content-length': '0' });
  });

  it('1.0: does not escape, but replaces CR/LF with spaces so the frame stays well-formed', () => {
    expect(escapeHeader('a:b\\c\r\nd', '1.0')).toBe('a:b\\c  d');
    const bytes = encodeFrame({ command: 'MESSAGE', headers: { v: 'a:b\\c\nd' } }, '1.0');
    expect(bytes.toString()).toBe('MESSAGE\nv:a:b\\c d\ncontent-length:0\n\n\0');
    expect(onlyFrame(decode(bytes, { version: '1.0' })).headers).toEqual({ v: 'a:b\\c d', 'content-length': '0' });
  });

  it.each(['1.0', '1.1', '1.2'] as const)('does not escape CONNECTED / CONNECT headers (%s)', (version) => {
    const headers = { version: '1.2', server: 'sunsu/1.0 (a:b\\c)', 'heart-beat': '10000,10000' };
    const connected = encodeFrame({ command: 'CONNECTED', headers }, version);
    expect(connected.toString()).toBe('CONNECTED\nversion:1.2\nserver:sunsu/1.0 (a:b\\c)\nheart-beat:10000,10000\n\n\0');
    expect(onlyFrame(decode(connected)).headers).toEqual(headers);
    const connect = encodeFrame({ command: 'CONNECT', headers: { login: 'u:1', passcode: 'p\\w' } }, version);
    expect(connect.toString()).toBe('CONNECT\nlogin:u:1\npasscode:p\\w\n\n\0');
    expect(onlyFrame(decode(connect)).headers).toEqual({ login: 'u:1', passcode: 'p\\w' });
  });

  it('produces a stream that decodes back to the same frames in order', () => {
    const input = [
      { command: 'CONNECTED', headers: { version: '1.2' } },
      { command: 'MESSAGE', headers: { subscription: '0', destination: '/t/😀' }, body: '안녕' },
      { command: 'RECEIPT', headers: { 'receipt-id': 'r:1' } },
      { command: 'ERROR', headers: { message: 'bad\nthing' }, body: Buffer.from([0, 1, 2]) },
    ];
    const items = decode(Buffer.concat(input.map((f) => encodeFrame(f))));
    expect(framesOf(items).map(plain)).toEqual([
      { command: 'CONNECTED', headers: { version: '1.2' }, body: [] },
      { command: 'MESSAGE', headers: { subscription: '0', destination: '/t/😀', 'content-length': '6' }, body: [...b('안녕')] },
      { command: 'RECEIPT', headers: { 'receipt-id': 'r:1' }, body: [] },
      { command: 'ERROR', headers: { message: 'bad\nthing', 'content-length': '3' }, body: [0, 1, 2] },
    ]);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Heart-beat and version negotiation
// ---------------------------------------------------------------------------------------------------------------

describe('parseHeartBeat', () => {
  it.each<[string | undefined, [number, number]]>([
    [undefined, [0, 0]],
    ['', [0, 0]],
    ['0,0', [0, 0]],
    ['10000,5000', [10000, 5000]],
    [' 100 , 200 ', [100, 200]],
    ['007,0', [7, 0]],
    ['999999999,1', [999999999, 1]],
  ])('parses %j', (value, expected) => {
    expect(parseHeartBeat(value)).toEqual(expected);
  });

  it.each(['10', '10,', ',10', '-1,0', '0,-1', 'a,b', '1,2,3', '1000000000,0', '1.5,2', '1;2', ' '])('rejects %j', (value) => {
    expect(protocolError(() => parseHeartBeat(value)).message).toMatch(/heart-beat/);
  });
});

describe('negotiateHeartBeat', () => {
  it.each<[[number, number], [number, number], number, number]>([
    // client [cx, cy], server [sx, sy] -> server sends every max(sx, cy) unless either is 0;
    //                                     server expects every max(cx, sy) unless either is 0.
    [[0, 0], [0, 0], 0, 0],
    [[0, 0], [10000, 10000], 0, 0],
    [[10000, 10000], [0, 0], 0, 0],
    [[1000, 2000], [3000, 4000], 3000, 4000],
    [[4000, 3000], [2000, 1000], 3000, 4000],
    [[5000, 0], [1000, 1000], 0, 5000],
    [[0, 5000], [1000, 1000], 5000, 0],
    [[5000, 5000], [0, 1000], 0, 5000],
    [[5000, 5000], [1000, 0], 5000, 0],
    [[100, 100], [10000, 10000], 10000, 10000],
    [[20000, 30000], [10000, 10000], 30000, 20000],
    [[0, 5000], [1000, 0], 5000, 0],
    [[5000, 0], [0, 1000], 0, 5000],
  ])('client %j, server %j -> send %d, expect %d', (client, server, sendEveryMs, expectEveryMs) => {
    expect(negotiateHeartBeat(client, server)).toEqual({ sendEveryMs, expectEveryMs });
  });
});

describe('negotiateVersion', () => {
  it.each<[string | undefined, StompVersion | undefined]>([
    ['1.2', '1.2'],
    ['1.0,1.1,1.2', '1.2'],
    ['1.2,1.0', '1.2'],
    ['1.0, 1.1', '1.1'],
    ['1.1', '1.1'],
    ['1.0', '1.0'],
    [undefined, '1.0'],
    ['2.0', undefined],
    ['1.3,2.0', undefined],
    ['1.1,2.0', '1.1'],
  ])('accept-version %j -> %j', (acceptVersion, expected) => {
    expect(negotiateVersion(acceptVersion)).toBe(expected);
  });
});

describe('StompDecoder frames without a header terminator', () => {
  it('rejects a frame that ends (NUL) before the empty line, instead of gluing the next frame onto it', () => {
    expect(protocolError(() => decode('ACK\nid:1\nreceipt:a\0')).message).toMatch(/before the empty line/);
    expect(protocolError(() => decode('ACK\nid:1\nreceipt:a\0DISCONNECT\nreceipt:probe\n\n\0')).message).toMatch(/before the empty line/);
  });
});
