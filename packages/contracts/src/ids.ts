import { z } from 'zod';

/** User ids are int64 in the original; carried as decimal strings so no precision is lost in JSON. */
export const UserId = z
  .union([z.string(), z.number().int().nonnegative()])
  .transform((v) => String(v))
  .pipe(z.string().regex(/^[1-9][0-9]{0,18}$/, 'userId must be a positive decimal int64'));
export type UserId = z.output<typeof UserId>;

/** Room codes are UUIDs (as in the original). Kept as an opaque, strictly-shaped string. */
export const RoomCode = z.string().regex(/^[0-9a-fA-F-]{8,64}$/, 'roomCode must be a UUID');
export type RoomCode = z.output<typeof RoomCode>;

/** Client-generated message id (UUID v4 in the original frontend); the idempotency key of a send. */
export const MessageId = z.string().min(8).max(64).regex(/^[0-9A-Za-z_-]+$/, 'messageId must be a UUID-like token');
export type MessageId = z.output<typeof MessageId>;

export const MessageType = z.enum(['TEXT', 'IMAGE']);
export type MessageType = z.output<typeof MessageType>;

/** Maximum text length, as validated at ingress by the original service. */
export const MAX_CONTENT_LENGTH = 1000;
