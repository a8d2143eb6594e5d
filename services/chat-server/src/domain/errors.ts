/**
 * Domain failures with a stable code, mapped once per transport: STOMP ERROR frame, Socket.IO ack error,
 * HTTP status. `status` follows HTTP semantics.
 */
export class ChatError extends Error {
  override name = 'ChatError';
  readonly code: string;
  readonly status: number;
  constructor(code: string, status: number, message: string) {
    super(message);
    this.code = code;
    this.status = status;
  }
}

export const errors = {
  badRequest: (message: string) => new ChatError('BAD_REQUEST', 400, message),
  unauthenticated: (message: string) => new ChatError('UNAUTHENTICATED', 401, message),
  forbidden: (message = 'not a participant of this room') => new ChatError('FORBIDDEN', 403, message),
  roomNotFound: (code: string) => new ChatError('ROOM_NOT_FOUND', 404, `unknown room ${code}`),
  tooLarge: (message: string) => new ChatError('PAYLOAD_TOO_LARGE', 413, message),
  unsupportedMedia: (message: string) => new ChatError('UNSUPPORTED_MEDIA_TYPE', 415, message),
  rateLimited: (message = 'too many requests') => new ChatError('RATE_LIMITED', 429, message),
  unavailable: (message: string) => new ChatError('UNAVAILABLE', 503, message),
};
