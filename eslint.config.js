import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/node_modules/**', '.run/**', '**/dist/**', 'charts/**', 'infra/ferretdb/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', performance: 'readonly', fetch: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': ['error', {
        // Only the Kafka adapter may import the client library, so it can be replaced in one place.
        paths: [{ name: 'kafkajs', message: 'use @sunsu/kafka (the adapter) instead of kafkajs' }],
      }],
    },
  },
  { files: ['packages/kafka/src/**', 'infra/*.mjs'], rules: { 'no-restricted-imports': 'off' } },
  { files: ['web/public/**/*.js'], languageOptions: { globals: { document: 'readonly', window: 'readonly', fetch: 'readonly' } } },
);
