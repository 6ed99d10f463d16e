import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

export default defineConfig(
  { ignores: ['**/dist/', '**/node_modules/', 'coverage/', 'packages/server/docs/'] },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      // `any` is allowed where it is written out on purpose (Socket.IO's variadic listeners).
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          // `({ at, ...rest }) => rest` drops a property on purpose.
          ignoreRestSiblings: true,
        },
      ],
      // A `/// <reference path>` is how a spec pulls in an ambient `declare module` file (socket.io-client-v2's types).
      '@typescript-eslint/triple-slash-reference': ['error', { path: 'always', types: 'prefer-import', lib: 'always' }],
      // Event handlers shared by every socket take the socket as `this` and name it for the closures they create.
      '@typescript-eslint/no-this-alias': ['error', { allowedNames: ['socket', 'sender'] }],
    },
  },
  {
    // The control center's page scripts: classic browser scripts (inlined in the page in order, charts first), so
    // the browser's globals they use and nothing of Node (the charts script's one global is declared where it is used).
    files: ['packages/server/src/control-center/page/*.js'],
    languageOptions: {
      sourceType: 'script',
      globals: Object.fromEntries(
        ['document', 'location', 'fetch', 'URLSearchParams', 'EventSource', 'setInterval'].map((name) => [name, 'readonly']),
      ),
    },
  },
  {
    // Handlers find the ack as the last argument, wherever it falls; reading `arguments` spares the relay path a rest
    // array per message.
    files: ['packages/server/src/transport/handlers/**/*.ts'],
    rules: { 'prefer-rest-params': 'off' },
  },
);
