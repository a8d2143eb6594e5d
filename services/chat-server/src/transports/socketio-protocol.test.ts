import { ChatError, errors } from '../domain/errors.ts';
import {
  ackError,
  handshakeToken,
  isClientEvent,
  MessageSendPayload,
  parsePayload,
  ReadPayload,
  RoomRefPayload,
  serverEventFor,
  TypingPayload,
} from './socketio-protocol.ts';

const ROOM = '3f2b8c1e-1d2a-4c5b-9e8f-0a1b2c3d4e5f';

describe('Socket.IO protocol', () => {
  describe('payload validation', () => {
    it('accepts the contract payloads and strips unknown fields', () => {
      expect(parsePayload(RoomRefPayload, { roomCode: ROOM, extra: 1 })).toEqual({ roomCode: ROOM });
      expect(parsePayload(ReadPayload, { roomCode: ROOM, sequenceId: 7 })).toEqual({ roomCode: ROOM, sequenceId: 7 });
      expect(parsePayload(TypingPayload, { roomCode: ROOM, typing: false })).toEqual({ roomCode: ROOM, typing: false });
    });

    it('keeps the message body fields for sendMessage to validate', () => {
      expect(parsePayload(MessageSendPayload, { roomCode: ROOM, messageId: 'abcdefgh', content: 'hi' })).toMatchObject({ messageId: 'abcdefgh', content: 'hi' });
    });

    it.each([
      ['no payload', RoomRefPayload, undefined, /payload/],
      ['a string', RoomRefPayload, 'room', /payload/],
      ['a malformed room code', RoomRefPayload, { roomCode: '../etc' }, /roomCode/],
      ['a negative sequence', ReadPayload, { roomCode: ROOM, sequenceId: -1 }, /sequenceId/],
      ['a fractional sequence', ReadPayload, { roomCode: ROOM, sequenceId: 1.5 }, /sequenceId/],
      ['a string typing flag', TypingPayload, { roomCode: ROOM, typing: 'yes' }, /typing/],
      ['a message without a room', MessageSendPayload, { messageId: 'abcdefgh', content: 'hi' }, /roomCode/],
    ])('rejects %s as BAD_REQUEST', (_name, schema, payload, message) => {
      let caught: unknown;
      try {
        parsePayload(schema, payload);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(ChatError);
      expect((caught as ChatError).code).toBe('BAD_REQUEST');
      expect((caught as ChatError).message).toMatch(message);
    });
  });

  it('maps domain errors to their code and hides everything else', () => {
    expect(ackError(errors.forbidden())).toEqual({ code: 'FORBIDDEN', message: 'not a participant of this room' });
    expect(ackError(errors.rateLimited('slow down'))).toEqual({ code: 'RATE_LIMITED', message: 'slow down' });
    expect(ackError(new Error('connection to 10.0.0.3 refused'))).toEqual({ code: 'INTERNAL', message: 'internal error' });
    expect(ackError('thrown string')).toEqual({ code: 'INTERNAL', message: 'internal error' });
  });

  it('knows the contract events', () => {
    expect(['message:send', 'room:subscribe', 'room:enter', 'presence:ping', 'room:read', 'typing'].every(isClientEvent)).toBe(true);
    expect(isClientEvent('room:leave')).toBe(false);
  });

  describe('handshake token', () => {
    it('takes auth.token, with or without a Bearer prefix', () => {
      expect(handshakeToken({ token: 'a.b.c' }, {})).toBe('a.b.c');
      expect(handshakeToken({ token: 'Bearer a.b.c' }, {})).toBe('a.b.c');
      expect(handshakeToken({ token: 'bearer   a.b.c ' }, {})).toBe('a.b.c');
    });
    it('falls back to the access_token query parameter', () => {
      expect(handshakeToken({}, { access_token: 'q.r.s' })).toBe('q.r.s');
      expect(handshakeToken(undefined, { access_token: ['q.r.s', 'x'] })).toBe('q.r.s');
      expect(handshakeToken({ token: 'a.b.c' }, { access_token: 'q.r.s' })).toBe('a.b.c');
    });
    it('finds nothing in empty or ill-typed input', () => {
      expect(handshakeToken({}, {})).toBeUndefined();
      expect(handshakeToken({ token: '' }, {})).toBeUndefined();
      expect(handshakeToken({ token: 42 }, { access_token: '' })).toBeUndefined();
      expect(handshakeToken(null, null)).toBeUndefined();
    });
  });

  it('turns each room push into its event, with roomCode', () => {
    const message = { messageId: 'm1', senderId: '1', senderName: 'A', content: 'hi', messageType: 'TEXT' as const, createdAt: '2024-01-01T00:00:00.000Z', sequenceId: 3, readBy: ['1'], fileUrl: null };
    expect(serverEventFor({ kind: 'message', roomCode: ROOM, message })).toEqual({ event: 'message', payload: { ...message, roomCode: ROOM } });
    expect(serverEventFor({ kind: 'read', roomCode: ROOM, userId: '2', lastReadSequenceId: 3 })).toEqual({ event: 'read', payload: { roomCode: ROOM, userId: '2', lastReadSequenceId: 3 } });
    expect(serverEventFor({ kind: 'typing', roomCode: ROOM, userId: '2', typing: true })).toEqual({ event: 'typing', payload: { roomCode: ROOM, userId: '2', typing: true } });
    expect(serverEventFor({ kind: 'presence', roomCode: ROOM, userId: '2', status: 'online' })).toEqual({ event: 'presence', payload: { roomCode: ROOM, userId: '2', status: 'online' } });
  });
});
