import { StompProtocolError, type StompFrame, type StompVersion } from './frame.ts';

/**
 * STOMP frame codec (pure; no I/O). Spec: https://stomp.github.io/stomp-specification-1.2.html
 * - The decoder is streaming: a WebSocket message may hold several frames, and a frame may be split across
 *   messages. Heart-beats (bare EOLs between frames) are reported as `heartbeat` events.
 * - `content-length` is a byte count; without it the body ends at the first NUL.
 * - Header escaping: 1.2 escapes \r \n : \\ ; 1.1 the same minus \r; 1.0 and CONNECT/CONNECTED frames none.
 */

export interface DecoderLimits {
  /** Max bytes of one frame (command + headers + body). */
  maxFrameBytes: number;
  /** Max number of header lines. */
  maxHeaders: number;
  /** Max bytes of one header line. */
  maxHeaderLineBytes: number;
}

export const DEFAULT_LIMITS: DecoderLimits = { maxFrameBytes: 64 * 1024, maxHeaders: 64, maxHeaderLineBytes: 8 * 1024 };

export type DecodedItem = { type: 'frame'; frame: StompFrame } | { type: 'heartbeat' };

const NUL = 0x00;
const LF = 0x0a;
const CR = 0x0d;
const COMMAND_RE = /^[A-Z]{1,32}$/;

const UNESCAPE_12: Record<string, string> = { '\\\\': '\\', '\\n': '\n', '\\r': '\r', '\\c': ':' };
const UNESCAPE_11: Record<string, string> = { '\\\\': '\\', '\\n': '\n', '\\c': ':' };

function unescapeHeader(raw: string, version: StompVersion, receiptHint: string | undefined): string {
  if (version === '1.0') return raw;
  const table = version === '1.2' ? UNESCAPE_12 : UNESCAPE_11;
  return raw.replace(/\\(.?)/gs, (match) => {
    const out = table[match];
    if (out === undefined) throw new StompProtocolError(`undefined escape sequence ${JSON.stringify(match)} in header`, receiptHint);
    return out;
  });
}

export function escapeHeader(value: string, version: StompVersion): string {
  if (version === '1.0') return value.replace(/[\r\n]/g, ' ');
  const escaped = value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/:/g, '\\c');
  return version === '1.2' ? escaped.replace(/\r/g, '\\r') : escaped.replace(/\r/g, '');
}

export class StompDecoder {
  private buffer: Buffer = Buffer.alloc(0);
  private readonly limits: DecoderLimits;
  /** Protocol version negotiated so far; CONNECT frames are parsed before it is known. */
  version: StompVersion = '1.2';

  constructor(limits: Partial<DecoderLimits> = {}) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
  }

  /** Feed bytes; returns every complete item. Throws StompProtocolError on a malformed or oversize frame. */
  push(chunk: Buffer | string): DecodedItem[] {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    this.buffer = this.buffer.length === 0 ? bytes : Buffer.concat([this.buffer, bytes]);
    const items: DecodedItem[] = [];
    for (;;) {
      const item = this.next();
      if (!item) break;
      items.push(item);
    }
    return items;
  }

  /** Bytes held waiting for the rest of a frame. */
  get pending(): number {
    return this.buffer.length;
  }

  private next(): DecodedItem | undefined {
    const buf = this.buffer;
    if (buf.length === 0) return undefined;
    // Heart-beat / inter-frame EOLs.
    if (buf[0] === LF) {
      this.buffer = buf.subarray(1);
      return { type: 'heartbeat' };
    }
    if (buf[0] === CR) {
      if (buf.length < 2) return undefined;
      if (buf[1] !== LF) throw new StompProtocolError('bare CR outside a frame');
      this.buffer = buf.subarray(2);
      return { type: 'heartbeat' };
    }

    // Find the end of the header block (an empty line).
    const headerEnd = findBlankLine(buf, Math.min(buf.length, this.limits.maxFrameBytes));
    // A NUL ends a frame, so one before the empty line means the client ended a frame that has no header
    // terminator; waiting for more bytes would glue its next frame onto this one.
    const nulInHeaders = buf.subarray(0, headerEnd?.start ?? buf.length).includes(NUL);
    const unterminated = () => new StompProtocolError('frame ended (NUL) before the empty line that ends its headers');
    if (headerEnd === undefined) {
      if (nulInHeaders) throw unterminated();
      if (buf.length >= this.limits.maxFrameBytes) throw new StompProtocolError(`frame exceeds ${this.limits.maxFrameBytes} bytes`);
      return undefined;
    }
    const headBlock = buf.subarray(0, headerEnd.start).toString('utf8');
    const lines = headBlock.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
    const command = lines[0] ?? '';
    if (!COMMAND_RE.test(command)) throw new StompProtocolError(`malformed command line ${JSON.stringify(command.slice(0, 40))}`);
    if (nulInHeaders) throw unterminated();
    if (lines.length - 1 > this.limits.maxHeaders) throw new StompProtocolError(`too many headers (max ${this.limits.maxHeaders})`);

    // Receipt id is looked up raw first so even a frame with a bad header can be answered with its receipt-id.
    const escapes = command === 'CONNECT' || command === 'CONNECTED' || command === 'STOMP' ? '1.0' : this.version;
    const rawReceiptLine = lines.find((l) => l.startsWith('receipt:'))?.slice('receipt:'.length);
    let rawReceipt = rawReceiptLine;
    try {
      if (rawReceiptLine !== undefined) rawReceipt = unescapeHeader(rawReceiptLine, escapes, undefined);
    } catch {
      /* keep the raw value: the receipt header itself is malformed */
    }
    // Null prototype: header names like `constructor` or `__proto__` are ordinary names here.
    const headers: Record<string, string> = Object.create(null) as Record<string, string>;
    for (const line of lines.slice(1)) {
      if (Buffer.byteLength(line) > this.limits.maxHeaderLineBytes) throw new StompProtocolError('header line too long', rawReceipt);
      const colon = line.indexOf(':');
      if (colon <= 0) throw new StompProtocolError(`malformed header line ${JSON.stringify(line.slice(0, 40))}`, rawReceipt);
      const name = unescapeHeader(line.slice(0, colon), escapes, rawReceipt);
      const value = unescapeHeader(line.slice(colon + 1), escapes, rawReceipt);
      if (!Object.hasOwn(headers, name)) headers[name] = value; // STOMP: the first occurrence wins
    }

    const bodyStart = headerEnd.end;
    let bodyEnd: number;
    const cl = headers['content-length'];
    if (cl !== undefined) {
      if (!/^\d{1,10}$/.test(cl)) throw new StompProtocolError(`invalid content-length ${JSON.stringify(cl)}`, headers.receipt);
      const length = Number(cl);
      if (bodyStart + length + 1 > this.limits.maxFrameBytes) throw new StompProtocolError(`frame exceeds ${this.limits.maxFrameBytes} bytes`, headers.receipt);
      if (buf.length < bodyStart + length + 1) return undefined;
      bodyEnd = bodyStart + length;
      if (buf[bodyEnd] !== NUL) throw new StompProtocolError('frame body longer than content-length (missing NUL terminator)', headers.receipt);
    } else {
      const nul = buf.indexOf(NUL, bodyStart);
      if (nul === -1) {
        if (buf.length >= this.limits.maxFrameBytes) throw new StompProtocolError(`frame exceeds ${this.limits.maxFrameBytes} bytes`, headers.receipt);
        return undefined;
      }
      if (nul + 1 > this.limits.maxFrameBytes) throw new StompProtocolError(`frame exceeds ${this.limits.maxFrameBytes} bytes`, headers.receipt);
      bodyEnd = nul;
    }
    const body = Buffer.from(buf.subarray(bodyStart, bodyEnd));
    this.buffer = buf.subarray(bodyEnd + 1);
    return { type: 'frame', frame: { command, headers, body } };
  }
}

/** Index range of the first empty line (LF LF or CRLF CRLF or mixed) within the first `limit` bytes. */
function findBlankLine(buf: Buffer, limit: number): { start: number; end: number } | undefined {
  let i = buf.indexOf(LF);
  while (i !== -1 && i < limit) {
    const next = buf[i + 1];
    if (next === LF) return { start: i, end: i + 2 };
    if (next === CR && buf[i + 2] === LF) return { start: i, end: i + 3 };
    if (next === undefined || (next === CR && buf[i + 2] === undefined)) return undefined;
    i = buf.indexOf(LF, i + 1);
  }
  return undefined;
}

/** Encode a frame. Bodies always carry a byte-exact content-length so they may contain NULs. */
export function encodeFrame(frame: { command: string; headers?: Record<string, string | undefined>; body?: string | Buffer }, version: StompVersion = '1.2'): Buffer {
  const body = frame.body === undefined ? Buffer.alloc(0) : typeof frame.body === 'string' ? Buffer.from(frame.body, 'utf8') : frame.body;
  const raw = frame.command === 'CONNECTED' || frame.command === 'CONNECT' || frame.command === 'STOMP';
  let head = frame.command + '\n';
  for (const [name, value] of Object.entries(frame.headers ?? {})) {
    if (value === undefined || name === 'content-length') continue;
    head += raw ? `${name}:${value}\n` : `${escapeHeader(name, version)}:${escapeHeader(value, version)}\n`;
  }
  if (body.length > 0 || frame.command === 'MESSAGE' || frame.command === 'ERROR') head += `content-length:${body.length}\n`;
  head += '\n';
  return Buffer.concat([Buffer.from(head, 'utf8'), body, Buffer.from([NUL])]);
}

/** Parse a `heart-beat` header "cx,cy" into numbers (0,0 when missing). */
export function parseHeartBeat(value: string | undefined): [number, number] {
  if (!value) return [0, 0];
  const m = /^\s*(\d{1,9})\s*,\s*(\d{1,9})\s*$/.exec(value);
  if (!m) throw new StompProtocolError(`invalid heart-beat header ${JSON.stringify(value)}`);
  return [Number(m[1]), Number(m[2])];
}

/**
 * Negotiate heart-beats (spec §Heart-beating). Returns the interval at which the server must send (0 = never)
 * and the interval at which it expects something from the client (0 = never).
 */
export function negotiateHeartBeat(client: [number, number], server: [number, number]): { sendEveryMs: number; expectEveryMs: number } {
  const [cx, cy] = client;
  const [sx, sy] = server;
  return {
    sendEveryMs: sx === 0 || cy === 0 ? 0 : Math.max(sx, cy),
    expectEveryMs: cx === 0 || sy === 0 ? 0 : Math.max(cx, sy),
  };
}

/** Pick the highest version both sides speak (from `accept-version`, absent = 1.0). */
export function negotiateVersion(acceptVersion: string | undefined): StompVersion | undefined {
  const offered = (acceptVersion ?? '1.0').split(',').map((v) => v.trim());
  for (const v of ['1.2', '1.1', '1.0'] as const) if (offered.includes(v)) return v;
  return undefined;
}
