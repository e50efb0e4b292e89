import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

/**
 * The operator and compliance console, built once into out/console and served by the API at /console/
 * (server/console/console-page.ts). Its own entry beside the kiosk renderer's vite.config.ts: the same stack, a
 * different page, nothing of the kiosk in it.
 */
export default defineConfig({
  root: 'console',
  base: '/console/',
  plugins: [react()],
  build: {
    outDir: '../out/console',
    emptyOutDir: true,
    target: 'chrome120',
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    rolldownOptions: { treeshake: { manualPureFunctions: ['z'] } },
  },
});
