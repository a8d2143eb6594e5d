import { createRemoteJWKSet, errors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { ChatClaims, type Principal } from './claims.ts';

export class AuthError extends Error {
  override name = 'AuthError';
}

export type TokenVerifier = (token: string | undefined) => Promise<Principal>;

export interface VerifierOptions {
  /** HS256 shared secret (default mode). */
  secret?: string | undefined;
  /** RS256/ES256 verification against a JWKS URL, instead of the secret. */
  jwksUrl?: string | undefined;
  /** Allowed clock skew for exp/nbf/iat. */
  clockToleranceSec?: number;
}

/** Build a verifier: signature, algorithm, exp (required), nbf/iat and the claim shapes are all checked. */
export function createTokenVerifier(options: VerifierOptions): TokenVerifier {
  let key: Uint8Array | JWTVerifyGetKey;
  let algorithms: string[];
  if (options.jwksUrl) {
    key = createRemoteJWKSet(new URL(options.jwksUrl));
    algorithms = ['RS256', 'ES256'];
  } else if (options.secret) {
    key = new TextEncoder().encode(options.secret);
    algorithms = ['HS256'];
  } else {
    throw new Error('createTokenVerifier needs a secret or a JWKS URL');
  }
  return async (token) => {
    if (!token) throw new AuthError('missing token');
    try {
      const { payload } = await jwtVerify(token, key as Uint8Array, {
        algorithms,
        requiredClaims: ['exp'],
        clockTolerance: options.clockToleranceSec ?? 5,
      });
      const claims = ChatClaims.safeParse(payload);
      if (!claims.success) throw new AuthError(`invalid token claims: ${claims.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
      return { userId: claims.data.sub, name: claims.data.name, role: claims.data.role, avatarUrl: claims.data.avatarUrl ?? null };
    } catch (err) {
      if (err instanceof AuthError) throw err;
      if (err instanceof errors.JWTExpired) throw new AuthError('token expired');
      if (err instanceof errors.JWSSignatureVerificationFailed) throw new AuthError('invalid token signature');
      if (err instanceof errors.JWTClaimValidationFailed) throw new AuthError(`invalid token: ${err.message}`);
      throw new AuthError('invalid token');
    }
  };
}

/** Extract a bearer token from an `Authorization` header value. */
export function bearerToken(header: string | undefined): string | undefined {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return m?.[1];
}
