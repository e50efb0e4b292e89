import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

/** Where code may run decides what it may import; these rules keep the tree's picture from drifting. */
const noNode = { group: ['node:*', 'better-sqlite3', 'electron'], message: 'shared/ and renderer/ run without Node.' };
const restrict = (...patterns) => ['error', { patterns }];
/** The product never depends on the demo hosts or on the client library made for other people's applications. */
const noDemo = { group: ['**/examples/**', '**/sdk/**'], message: 'The product does not import the example hosts or the host client.' };

export default tseslint.config(
  { ignores: ['node_modules/', 'out/', 'dist/', 'release/', 'test-results/', 'playwright-report/', '.stryker-tmp*/', 'reports/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
    },
  },
  {
    files: ['shared/**'],
    rules: {
      'no-restricted-imports': restrict(noNode, noDemo, {
        group: ['react', 'react-dom', '**/electron/**', '**/renderer/**', '**/server/**'],
        message: 'shared/ is pure: no DOM, no Node, no app code.',
      }),
    },
  },
  {
    // the console page runs in the browser and reaches the API only over HTTP
    files: ['console/**'],
    ignores: ['console/vite.config.ts'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'no-restricted-imports': restrict(noNode, {
        group: ['**/electron/**', '**/renderer/**', '**/server/**'],
        message: 'The console page reaches the API only over HTTP (shared/ holds the contract).',
      }),
    },
  },
  {
    files: ['renderer/**'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'no-restricted-imports': restrict(noNode, noDemo, {
        group: ['**/electron/**', '**/server/**'],
        message: 'The renderer reaches the host only through window.kiosk.',
      }),
    },
  },
  {
    files: ['electron/**', 'server/**', 'test/**', 'bin/**'],
    ignores: ['electron/shell/**', 'test/e2e/electron.spec.ts', 'test/unit/renderer/**'],
    rules: {
      'no-restricted-imports': restrict({
        group: ['/electron', '/electron/*', '**/renderer/**'],
        message: 'Only electron/shell/ imports electron; the host runs on plain Node.',
      }),
    },
  },
  {
    // The renderer's unit tests run it in happy-dom: browser globals, and the renderer is what they import.
    files: ['test/unit/renderer/**'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'no-restricted-imports': restrict({
        group: ['electron', '**/electron/**', '**/server/**'],
        message: 'Renderer tests drive the UI through an in-memory window.kiosk, not the host.',
      }),
    },
  },
  {
    files: ['server/**'],
    rules: {
      'no-restricted-imports': restrict(noDemo, {
        group: ['electron', '**/electron/**', '**/renderer/**'],
        message: 'The central API shares only shared/ with the kiosk.',
      }),
    },
  },
  {
    files: ['electron/**'],
    rules: {
      'no-restricted-imports': restrict(noDemo, {
        group: ['/electron', '/electron/*', '**/renderer/**'],
        message: 'Only electron/shell/ imports electron; the host runs on plain Node.',
      }),
    },
  },
  {
    files: ['electron/shell/**'],
    rules: { 'no-restricted-imports': restrict(noDemo) },
  },
  {
    // What a bank's or an airline's engineers embed: the contract's schemas and ws, nothing of the kiosk itself.
    files: ['sdk/**'],
    rules: {
      'no-restricted-imports': restrict({
        group: ['electron', '**/electron/**', '**/renderer/**', '**/server/**', '**/examples/**'],
        message: 'The host client depends on shared/ schemas and ws only.',
      }),
    },
  },
  {
    // The example hosts are applications of their own, as a bank's would be: they reach the kiosk through sdk/ only.
    files: ['examples/**'],
    rules: {
      'no-restricted-imports': restrict({
        group: ['electron', '**/electron/**', '**/renderer/**', '**/server/**', '**/shared/**', 'zod'],
        message: 'Example hosts use the host client (sdk/host-client) only, never the kiosk’s own code.',
      }),
    },
  },
);
