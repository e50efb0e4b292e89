import { randomBytes } from 'node:crypto';

/** A secret per launch: only the page opened on this launch's URL can call the bridge. */
export function newBridgeToken(): string {
  return randomBytes(32).toString('base64url');
}

/** What the browser opens: the app, with the token in the fragment, which is never sent to a server. */
export function bridgeLaunchUrl(origin: string, token: string): string {
  return `${origin}/#kiosk-token=${token}`;
}
