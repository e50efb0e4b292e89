import type { BrowserWindow, BrowserWindowConstructorOptions } from 'electron';
import type { DisplayModel } from '../../shared/contract/host-api.ts';

/**
 * The kiosk's window for the profile's display model (docs/host-integration.md). `transfer`: a full-screen kiosk
 * window the terminal's application hands the screen to. `overlay`: a transparent window above the application's
 * own, shown only while a step is on screen.
 */
export function windowFor(model: DisplayModel): BrowserWindowConstructorOptions {
  return model === 'overlay'
    ? { kiosk: false, fullscreen: true, frame: false, transparent: true, alwaysOnTop: true, show: false, backgroundColor: '#00000000' }
    : { kiosk: true, fullscreen: true, backgroundColor: '#ffffff' };
}

/** Brings the window to the front when a step comes on screen; in the overlay model, hides it when the step leaves. */
export function followSteps(window: BrowserWindow, model: DisplayModel, onDisplay: (listener: (showing: boolean) => void) => () => void): () => void {
  return onDisplay((showing) => {
    if (window.isDestroyed()) return;
    if (showing) {
      if (model === 'overlay') window.setAlwaysOnTop(true, 'screen-saver');
      window.show();
      window.moveTop();
      window.focus();
    } else if (model === 'overlay') {
      window.hide();
    }
  });
}
