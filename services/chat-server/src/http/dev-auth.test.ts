import Fastify from 'fastify';
import { createTokenVerifier } from '@sunsu/auth';
import { ChatError } from '../domain/errors.ts';
import { registerDevAuth, type DevAuthConfig } from './dev-auth.ts';

const secret = 'dev-auth-test-secret-long-enough-0123456789';

async function appWith(config: Partial<DevAuthConfig>) {
  const app = Fastify();
  app.setErrorHandler((err, _req, reply) => {
    if (err instanceof ChatError) return reply.status(err.status).send({ code: err.code, message: err.message });
    return reply.status(500).send({ code: 'INTERNAL', message: String(err) });
  });
  registerDevAuth(app, { devSignIn: true, jwtSecret: secret, ...config });
  await app.ready();
  return app;
}

describe('development sign-in (POST /dev/token)', () => {
  it('issues a token the server verifies, with the requested identity', async () => {
    const app = await appWith({});
    const res = await app.inject({ method: 'POST', url: '/dev/token', payload: { userId: '1001', name: 'Couple Kim', role: 'couple' } });
    expect(res.statusCode).toBe(200);
    const token = (res.json() as { data: { token: string } }).data.token;
    await expect(createTokenVerifier({ secret })(token)).resolves.toEqual({ userId: '1001', name: 'Couple Kim', role: 'couple', avatarUrl: null });
    await app.close();
  });

  it('refuses malformed ids and privileged roles', async () => {
    const app = await appWith({});
    for (const payload of [{ userId: '0', name: 'x' }, { userId: '12', name: '' }, { userId: '12', name: 'x', role: 'service' }, { userId: '12', name: 'x', role: 'admin' }]) {
      const res = await app.inject({ method: 'POST', url: '/dev/token', payload });
      expect(res.statusCode).toBe(400);
    }
    await app.close();
  });

  it('does not exist when the configuration turns it off, nor without a secret (JWKS verification)', async () => {
    for (const config of [{ devSignIn: false }, { jwtSecret: undefined }]) {
      const app = await appWith(config);
      const res = await app.inject({ method: 'POST', url: '/dev/token', payload: { userId: '1', name: 'x' } });
      expect(res.statusCode).toBe(404);
      await app.close();
    }
  });
});
