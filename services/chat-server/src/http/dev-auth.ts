import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { Role, signToken } from '@sunsu/auth';
import { UserId } from '@sunsu/contracts';
import { errors } from '../domain/errors.ts';

export interface DevAuthConfig {
  /** Decided by the configuration: on outside production, in production only by explicit opt-in. */
  devSignIn: boolean;
  jwtSecret: string | undefined;
}

const DevTokenBody = z.object({
  userId: UserId,
  name: z.string().trim().min(1).max(200),
  role: Role.exclude(['service', 'admin']).default('couple'),
});
const TTL_SECONDS = 24 * 3600;

/**
 * Development identity provider for the web page and local tools: `POST /dev/token` `{userId, name, role}` →
 * `{data: {token}}`, an HS256 JWT exactly like the ones the server verifies. Registered only when the
 * configuration enables it (outside production by default; in production only with CHAT_DEV_SIGNIN=true) and
 * only when tokens are verified with the shared secret (with a JWKS the server could not verify them anyway).
 * It lives outside /api/ because every /api/ route requires a token. Roles that carry privileges (service,
 * admin) are never issued here.
 */
export function registerDevAuth(app: FastifyInstance, config: DevAuthConfig): void {
  const secret = config.jwtSecret;
  if (!config.devSignIn || secret === undefined) return;
  app.post('/dev/token', async (req) => {
    const parsed = DevTokenBody.safeParse(req.body);
    if (!parsed.success) throw errors.badRequest(parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '));
    const { userId, name, role } = parsed.data;
    const token = await signToken(secret, { userId, name, role }, TTL_SECONDS);
    return { code: 200, message: 'success', data: { token, expiresIn: TTL_SECONDS } };
  });
}
