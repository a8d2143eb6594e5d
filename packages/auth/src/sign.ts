import { SignJWT } from 'jose';
import type { Role } from './claims.ts';

/**
 * Issue an HS256 token. Used by the development sign-in (never enabled in production), tests and benchmarks;
 * production tokens come from the marketplace's identity provider.
 */
export async function signToken(
  secret: string,
  claims: { userId: string; name: string; role: Role; avatarUrl?: string },
  ttlSeconds = 3600,
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT({ name: claims.name, role: claims.role, ...(claims.avatarUrl ? { avatarUrl: claims.avatarUrl } : {}) })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(claims.userId)
    .setIssuedAt(now)
    .setExpirationTime(now + ttlSeconds);
  return jwt.sign(new TextEncoder().encode(secret));
}
