import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { InfraEnv, loadConfig } from '@sunsu/config';

const DEV_JWT_SECRET = 'sunsu-development-secret-change-me-0123456789';

export const ChatServerEnv = InfraEnv.extend({
  CHAT_HTTP_HOST: z.string().default('127.0.0.1'),
  CHAT_HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  /** Identity of this process in routing and presence records; must be unique per running instance. */
  CHAT_SERVER_ID: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/).default(`${hostname()}-${process.pid}`),
  CHAT_JWT_SECRET: z.string().min(32, 'CHAT_JWT_SECRET must be at least 32 characters').optional(),
  CHAT_JWT_JWKS_URL: z.url().optional(),
  /**
   * The development sign-in (`POST /dev/token`): anyone can get a token for any user id. On by default outside
   * production; in production only with an explicit `true` (demos, the cluster e2e run) and never with a JWKS.
   */
  CHAT_DEV_SIGNIN: z.enum(['true', 'false']).transform((v) => v === 'true').optional(),
  CHAT_WEB_DIR: z.string().default(fileURLToPath(new URL('../../../web/public', import.meta.url))),
  /** STOMP SEND frames per second per connection, and the burst allowed above it. */
  CHAT_STOMP_SEND_RATE: z.coerce.number().positive().default(20),
  CHAT_STOMP_SEND_BURST: z.coerce.number().int().positive().default(40),
  /** Subscribe/unsubscribe (Socket.IO: room subscribe/enter) requests per second per connection, and the burst. */
  CHAT_SUBSCRIBE_RATE: z.coerce.number().positive().default(20),
  CHAT_SUBSCRIBE_BURST: z.coerce.number().int().positive().default(100),
  /** Subscriptions (destinations) one connection may hold. */
  CHAT_MAX_SUBSCRIPTIONS: z.coerce.number().int().positive().default(200),
  /** Frames/events of one connection accepted but not yet handled; past it the client is flooding. */
  CHAT_MAX_PENDING_REQUESTS: z.coerce.number().int().positive().default(256),
  /** Bytes that may wait for one client before it is disconnected as a slow consumer (it reconnects and catches up). */
  CHAT_OUTBOUND_MAX_BYTES: z.coerce.number().int().min(16 * 1024).default(1024 * 1024),
  /** Above this backlog, typing and presence pushes to that client are dropped instead of queued. */
  CHAT_OUTBOUND_EPHEMERAL_BYTES: z.coerce.number().int().min(0).default(16 * 1024),
  /** WebSocket ping interval on /stomp; a socket that missed the previous pong is closed (half-open peers). */
  CHAT_WS_PING_MS: z.coerce.number().int().min(1000).max(600_000).default(25_000),
  /** Largest STOMP frame accepted (bytes). */
  CHAT_STOMP_MAX_FRAME_BYTES: z.coerce.number().int().min(1024).max(16 * 1024 * 1024).default(64 * 1024),
  /** How long a connection's presence lasts without a ping (the original client pings every 60 s). */
  CHAT_PRESENCE_TTL_MS: z.coerce.number().int().min(1000).max(3_600_000).default(180_000),
  /** How often expired presence is swept (and announced offline). */
  CHAT_PRESENCE_SWEEP_MS: z.coerce.number().int().min(100).max(600_000).default(5000),
  /** Grace period for draining sockets and in-flight requests on SIGTERM. */
  CHAT_SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).default(10_000),
  /** Where uploads live: `local` (a directory; one replica or a shared volume) or `s3` (any S3-compatible store). */
  CHAT_STORAGE: z.enum(['local', 's3']).default('local'),
  CHAT_S3_BUCKET: z.string().min(3).default('sunsu-uploads'),
  CHAT_S3_REGION: z.string().default('us-east-1'),
  /** Endpoint of an S3-compatible store; unset for AWS S3. Credentials come from the AWS SDK's default chain. */
  CHAT_S3_ENDPOINT: z.url().optional(),
  CHAT_S3_PREFIX: z.string().regex(/^[A-Za-z0-9._/-]*$/).default(''),
  /** Root directory of uploaded files (local storage adapter). */
  CHAT_UPLOAD_DIR: z.string().min(1).default(fileURLToPath(new URL('../../../.run/data/uploads', import.meta.url))),
  /** Largest accepted image upload (bytes); uploads are buffered in memory, hence the upper bound. */
  CHAT_UPLOAD_MAX_BYTES: z.coerce.number().int().min(1024).max(100 * 1024 * 1024).default(10 * 1024 * 1024),
});

export type ChatServerConfig = Omit<z.output<typeof ChatServerEnv>, 'CHAT_DEV_SIGNIN'> & {
  /** The HS256 secret; absent when tokens are verified against a JWKS only. */
  jwtSecret: string | undefined;
  devSignIn: boolean;
};

/**
 * Tokens are verified with exactly one key source: a JWKS (RS256/ES256 from the identity provider, no shared
 * secret needed anywhere) or an HS256 secret. Production refuses to start with neither; development gets a
 * documented default secret. Problems are reported together.
 */
export function loadChatServerConfig(env: Record<string, string | undefined> = process.env): ChatServerConfig {
  const { CHAT_DEV_SIGNIN, ...cfg } = loadConfig(ChatServerEnv, env);
  const production = cfg.CHAT_ENV === 'production';
  const problems: string[] = [];
  if (cfg.CHAT_JWT_JWKS_URL && cfg.CHAT_JWT_SECRET) problems.push('CHAT_JWT_SECRET: set either CHAT_JWT_SECRET or CHAT_JWT_JWKS_URL, not both');
  if (production && !cfg.CHAT_JWT_JWKS_URL && !cfg.CHAT_JWT_SECRET) problems.push('CHAT_JWT_SECRET: required in production (or CHAT_JWT_JWKS_URL)');
  if (CHAT_DEV_SIGNIN === true && cfg.CHAT_JWT_JWKS_URL) problems.push('CHAT_DEV_SIGNIN: the development sign-in signs HS256 tokens, which a JWKS verifier cannot accept');
  if (problems.length > 0) throw new Error(`invalid configuration:\n  ${problems.join('\n  ')}`);
  const jwtSecret = cfg.CHAT_JWT_JWKS_URL ? undefined : (cfg.CHAT_JWT_SECRET ?? DEV_JWT_SECRET);
  const devSignIn = jwtSecret !== undefined && (CHAT_DEV_SIGNIN ?? !production);
  return { ...cfg, jwtSecret, devSignIn };
}
