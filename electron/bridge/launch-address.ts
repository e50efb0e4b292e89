import { randomBytes } from 'node:crypto';

/** A secret: the bridge session token, and the one-time launch codes exchanged for it. */
export function newBridgeSecret(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * What the browser opens: the app, with a one-time launch code in the fragment (never sent over HTTP, so never in a
 * request line or log). The code is on Chromium's command line, which other local users can read, so it is only
 * good once, for a short while, and only for the page to exchange for the session token (docs/shells.md).
 */
export function bridgeLaunchUrl(origin: string, launchCode: string): string {
  return `${origin}/#kiosk-launch=${launchCode}`;
}
