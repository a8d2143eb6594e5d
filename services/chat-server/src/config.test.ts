import { loadChatServerConfig } from './config.ts';

describe('chat-server configuration', () => {
  it('refuses to start in production without a JWT secret', () => {
    expect(() => loadChatServerConfig({ CHAT_ENV: 'production' })).toThrow(/CHAT_JWT_SECRET: required in production/);
  });
  it('rejects a short secret', () => {
    expect(() => loadChatServerConfig({ CHAT_JWT_SECRET: 'short' })).toThrow(/at least 32 characters/);
  });
  it('uses the documented development secret outside production', () => {
    expect(loadChatServerConfig({}).jwtSecret).toMatch(/^sunsu-development-secret/);
  });
});
