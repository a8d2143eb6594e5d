import { createServer, type Server } from 'node:http';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { api, connectStomp, randomUserId, startService, tokenFor, type RunningService } from '@sunsu/testkit';

/**
 * Production with an identity provider: chat-server verifies RS256 tokens against a JWKS URL and needs no shared
 * secret at all (it used to refuse to start without CHAT_JWT_SECRET). The development sign-in does not exist there,
 * and HS256 tokens signed with the development secret are refused.
 */
describe('JWKS mode in production (no shared secret)', () => {
  let jwks: Server;
  let chat: RunningService;
  let privateKey: CryptoKey;

  beforeAll(async () => {
    const pair = await generateKeyPair('RS256');
    privateKey = pair.privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'test-key', alg: 'RS256', use: 'sig' };
    jwks = createServer((req, res) => {
      res.writeHead(req.url === '/.well-known/jwks.json' ? 200 : 404, { 'content-type': 'application/json' });
      res.end(JSON.stringify(req.url === '/.well-known/jwks.json' ? { keys: [jwk] } : {}));
    });
    await new Promise<void>((r) => jwks.listen(0, '127.0.0.1', () => r()));
    const { port } = jwks.address() as { port: number };
    chat = await startService('chat-server', 'it-jwks-chat', {
      CHAT_ENV: 'production',
      CHAT_JWT_JWKS_URL: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    });
  });
  afterAll(async () => {
    await chat?.stop();
    await new Promise((r) => jwks?.close(r));
  });

  const idpToken = (sub: string, name: string) =>
    new SignJWT({ name, role: 'couple' }).setProtectedHeader({ alg: 'RS256', kid: 'test-key' }).setSubject(sub).setIssuedAt().setExpirationTime('10m').sign(privateKey);

  it('accepts tokens of the identity provider on REST and STOMP', async () => {
    const user = randomUserId();
    const token = await idpToken(user, 'IdP User');
    const rooms = await api(chat.url, token, 'GET', '/api/chat/rooms');
    expect(rooms.status).toBe(200);
    const stomp = await connectStomp(chat.url, token);
    await stomp.close();
  });

  it('refuses development HS256 tokens and offers no development sign-in', async () => {
    const forged = await tokenFor(randomUserId(), 'Dev');
    expect((await api(chat.url, forged, 'GET', '/api/chat/rooms')).status).toBe(401);
    const signIn = await api(chat.url, undefined, 'POST', '/dev/token', { userId: '1001', name: 'x' });
    expect(signIn.status).toBe(404);
  });
});
