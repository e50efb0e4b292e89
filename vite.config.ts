import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

/**
 * The renderer bundle, served by the Chromium bridge or loaded from file:// by Electron, so every URL is relative.
 * No module-preload polyfill: it would be inline code, and index.html runs under a CSP without 'unsafe-inline'.
 */
export default defineConfig({
  root: 'renderer',
  base: './',
  plugins: [react()],
  build: {
    outDir: '../out/renderer',
    emptyOutDir: true,
    target: 'chrome120',
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    rolldownOptions: {
      // shared/ builds its zod schemas at module top level; building a schema has no side effects, so the ones the
      // renderer never uses (it only needs types and KioskFailure from those modules) can be dropped.
      treeshake: { manualPureFunctions: ['z'] },
    },
  },
});
