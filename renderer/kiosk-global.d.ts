import type { KioskApi } from '../shared/contract/kiosk-api.ts';

declare global {
  interface Window {
    /** Provided by the shell (Electron preload or the Chromium bridge script); the renderer's only way to the host. */
    kiosk?: KioskApi;
  }
}

declare module 'react' {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars -- a merged declaration repeats React's type parameter
  interface HTMLAttributes<T> {
    /** Element Timing (a web platform attribute React passes through): the browser records when this is painted. */
    elementtiming?: string;
  }
}

export {};
