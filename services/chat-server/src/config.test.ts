import { loadChatServerConfig } from './config.ts';

describe('chat-server configuration', () => {
  it('refuses to start in production without a JWT secret', () => {
    expect(() => loadChatServerConfig({ CHAT_ENV: 'production' })).toThrow(/CHAT_JWT_SECRET: required in production/);
  });
  it('starts in production with a JWKS and no secret, without the development sign-in', () => {
    const c = loadChatServerConfig({ CHAT_ENV: 'production', CHAT_JWT_JWKS_URL: 'https://idp.example/.well-known/jwks.json' });
    expect(c.jwtSecret).toBeUndefined();
    expect(c.devSignIn).toBe(false);
  });
  it('refuses a secret and a JWKS together, and the development sign-in with a JWKS', () => {
    expect(() => loadChatServerConfig({ CHAT_JWT_SECRET: 'x'.repeat(32), CHAT_JWT_JWKS_URL: 'https://idp.example/jwks' })).toThrow(/either CHAT_JWT_SECRET or CHAT_JWT_JWKS_URL/);
    expect(() => loadChatServerConfig({ CHAT_DEV_SIGNIN: 'true', CHAT_JWT_JWKS_URL: 'https://idp.example/jwks' })).toThrow(/CHAT_DEV_SIGNIN/);
  });
  it('keeps the development sign-in off in production unless explicitly opted in', () => {
    const secret = 'p'.repeat(40);
    expect(loadChatServerConfig({ CHAT_ENV: 'production', CHAT_JWT_SECRET: secret }).devSignIn).toBe(false);
    expect(loadChatServerConfig({ CHAT_ENV: 'production', CHAT_JWT_SECRET: secret, CHAT_DEV_SIGNIN: 'true' }).devSignIn).toBe(true);
    expect(loadChatServerConfig({}).devSignIn).toBe(true);
    expect(loadChatServerConfig({ CHAT_DEV_SIGNIN: 'false' }).devSignIn).toBe(false);
    expect(() => loadChatServerConfig({ CHAT_DEV_SIGNIN: 'yes' })).toThrow(/CHAT_DEV_SIGNIN/);
  });
  it('rejects a short secret', () => {
    expect(() => loadChatServerConfig({ CHAT_JWT_SECRET: 'short' })).toThrow(/at least 32 characters/);
  });
  it('uses the documented development secret outside production', () => {
    expect(loadChatServerConfig({}).jwtSecret).toMatch(/^sunsu-development-secret/);
  });
});
