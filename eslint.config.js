import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

/** Where code may run decides what it may import; these rules keep the tree's picture from drifting. */
const noNode = { group: ['node:*', 'better-sqlite3', 'electron'], message: 'shared/ and renderer/ run without Node.' };
const restrict = (...patterns) => ['error', { patterns }];

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
      'no-restricted-imports': restrict(noNode, {
        group: ['react', 'react-dom', '**/electron/**', '**/renderer/**', '**/server/**'],
        message: 'shared/ is pure: no DOM, no Node, no app code.',
      }),
    },
  },
  {
    files: ['renderer/**'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'no-restricted-imports': restrict(noNode, {
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
      'no-restricted-imports': restrict({
        group: ['electron', '**/electron/**', '**/renderer/**'],
        message: 'The central API shares only shared/ with the kiosk.',
      }),
    },
  },
);
