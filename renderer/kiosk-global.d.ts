import type { KioskApi } from '../shared/contract/kiosk-api.ts';

declare global {
  interface Window {
    /** Provided by the shell (Electron preload or the Chromium bridge script); the renderer's only way to the host. */
    kiosk?: KioskApi;
  }
}

export {};
