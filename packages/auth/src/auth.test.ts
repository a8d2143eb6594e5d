import { SignJWT } from 'jose';
import { AuthError, bearerToken, createTokenVerifier, signToken } from '@sunsu/auth';

const secret = 'test-secret-that-is-long-enough-0123456789';
const verify = createTokenVerifier({ secret });

describe('token verification', () => {
  it('accepts a valid token and takes identity from its claims', async () => {
    const token = await signToken(secret, { userId: '42', name: 'Planner Kim', role: 'planner' });
    await expect(verify(token)).resolves.toEqual({ userId: '42', name: 'Planner Kim', role: 'planner', avatarUrl: null });
  });
  it('rejects a missing, forged, expired or malformed token with a readable reason', async () => {
    await expect(verify(undefined)).rejects.toThrow(new AuthError('missing token'));
    const forged = await signToken('another-secret-that-is-long-enough-000', { userId: '42', name: 'x', role: 'couple' });
    await expect(verify(forged)).rejects.toThrow('invalid token signature');
    const expired = await signToken(secret, { userId: '42', name: 'x', role: 'couple' }, -60);
    await expect(verify(expired)).rejects.toThrow('token expired');
    await expect(verify('not.a.jwt')).rejects.toThrow(AuthError);
  });
  it('requires exp and well-formed claims', async () => {
    const key = new TextEncoder().encode(secret);
    const noExp = await new SignJWT({ name: 'x', role: 'couple' }).setProtectedHeader({ alg: 'HS256' }).setSubject('1').sign(key);
    await expect(verify(noExp)).rejects.toThrow(AuthError);
    const badSub = await new SignJWT({ name: 'x', role: 'couple' }).setProtectedHeader({ alg: 'HS256' }).setSubject('abc').setExpirationTime('1h').sign(key);
    await expect(verify(badSub)).rejects.toThrow(/sub/);
    const badRole = await new SignJWT({ name: 'x', role: 'root' }).setProtectedHeader({ alg: 'HS256' }).setSubject('1').setExpirationTime('1h').sign(key);
    await expect(verify(badRole)).rejects.toThrow(/role/);
  });
  it('refuses the "none" algorithm', async () => {
    const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    const body = Buffer.from(JSON.stringify({ sub: '1', name: 'x', role: 'admin', exp: 9999999999 })).toString('base64url');
    await expect(verify(`${header}.${body}.`)).rejects.toThrow(AuthError);
  });
  it('parses bearer headers', () => {
    expect(bearerToken('Bearer abc.def.ghi')).toBe('abc.def.ghi');
    expect(bearerToken('bearer  x ')).toBe('x');
    expect(bearerToken('Basic abc')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });
});
