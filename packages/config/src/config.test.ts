import { z } from 'zod';
import { ConfigError, InfraEnv, loadConfig } from '@sunsu/config';

describe('loadConfig', () => {
  it('applies local defaults', () => {
    const cfg = loadConfig(InfraEnv, {});
    expect(cfg.CHAT_KAFKA_BROKERS).toEqual(['127.0.0.1:19092']);
    expect(cfg.CHAT_REDIS_URL).toBe('redis://127.0.0.1:16379');
  });
  it('splits a broker list', () => {
    expect(loadConfig(InfraEnv, { CHAT_KAFKA_BROKERS: 'a:9092, b:9093' }).CHAT_KAFKA_BROKERS).toEqual(['a:9092', 'b:9093']);
  });
  it('reports every invalid variable in one error', () => {
    const attempt = () => loadConfig(InfraEnv, { CHAT_KAFKA_BROKERS: 'no-port', CHAT_MONGO_URL: 'http://x', LOG_LEVEL: 'loud' });
    expect(attempt).toThrow(ConfigError);
    try {
      attempt();
    } catch (err) {
      const message = (err as Error).message;
      for (const name of ['CHAT_KAFKA_BROKERS', 'CHAT_MONGO_URL', 'LOG_LEVEL']) expect(message).toContain(name);
    }
  });
  it('works with service-specific extensions', () => {
    const Env = InfraEnv.extend({ PORT: z.coerce.number().int() });
    expect(loadConfig(Env, { PORT: '8080' }).PORT).toBe(8080);
  });
});
