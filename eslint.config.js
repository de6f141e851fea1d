// One lint config for the workspace. The import boundaries:
// domain code imports no pg/ws/express/node:net; the frontend never imports the backend
// (or ingest, or node built-ins); ingest never imports the backend; common depends on
// nothing of ours.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const adapters = ['pg', 'ws', 'express', 'node:net', 'net', 'node:http', 'http', 'mqtt', 'nats'];

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', '.data/**', 'bench-results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2023, sourceType: 'module' },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-console': 'off',
    },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
  {
    files: ['**/src/domain/**/*.ts', '**/src/*/domain/**/*.ts', 'ingest/src/codec/**/*.ts', 'geodata/src/crs/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: adapters.map((name) => ({ name, message: 'domain code is pure: use an adapter (src/adapters) instead' })),
        patterns: [{ group: ['**/adapters/**'], message: 'domain code must not import adapters' }],
      }],
    },
  },
  {
    files: ['frontend/**/*.ts', 'frontend/**/*.tsx'],
    ignores: ['frontend/e2e/**', 'frontend/vite.config.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['@firelink/backend', '@firelink/backend/*', '**/backend/**'], message: 'the frontend never imports the backend' },
          { group: ['@firelink/ingest', '@firelink/ingest/*', '**/ingest/**'], message: 'the frontend never imports ingest' },
          { group: ['@firelink/common/testing'], message: 'test support is not for the browser' },
          { group: ['node:*', 'pg', 'ws', 'express'], message: 'the frontend runs in the browser' },
        ],
      }],
    },
  },
  {
    files: ['ingest/**/*.ts'],
    ignores: ['ingest/src/codec/**'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{ group: ['@firelink/backend', '@firelink/backend/*', '**/backend/**'], message: 'ingest never imports the backend' }],
      }],
    },
  },
  {
    files: ['common/**/*.ts', 'geodata/**/*.ts'],
    ignores: ['geodata/src/crs/**'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{ group: ['@firelink/backend', '@firelink/backend/*', '@firelink/ingest', '@firelink/frontend'], message: 'common and geodata do not import the services' }],
      }],
    },
  },
);
