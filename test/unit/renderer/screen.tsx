import { act } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { KioskLoader, loadProfile } from '../../../renderer/KioskLoader.tsx';
import { loadLaterScreens } from '../../../renderer/later-screens.ts';
import type { KioskApi } from '../../../shared/contract/kiosk-api.ts';
import type { Locale } from '../../../shared/contract/primitives.ts';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

/** The accessible name as a screen reader (and Playwright's getByRole) computes it for our controls. */
function accessibleName(element: Element): string {
  const labelled = element.getAttribute('aria-label');
  if (labelled) return labelled;
  const label = element.closest('label');
  const source = element instanceof HTMLInputElement && label ? label : element;
  const visible = (node: Node): string => {
    if (node instanceof Element && node.getAttribute('aria-hidden') === 'true') return '';
    if (node instanceof HTMLSelectElement || node instanceof HTMLInputElement) return '';
    if (node.nodeType === Node.TEXT_NODE) return node.textContent ?? '';
    return Array.from(node.childNodes, visible).join('');
  };
  return visible(source).trim();
}

const roles: Record<string, string> = {
  button: 'button',
  checkbox: 'input[type="checkbox"]',
  alertdialog: '[role="alertdialog"]',
  alert: '[role="alert"]',
  heading: 'h1, h2',
  textbox: 'input[type="text"]',
};

export type KioskScreen = Awaited<ReturnType<typeof showKiosk>>;

/** Mounts the renderer the way the shell does (window.kiosk first), with small role-and-name queries over it. */
export async function showKiosk(api: KioskApi, search = '') {
  window.kiosk = api;
  const container = document.createElement('div');
  document.body.append(container);
  let root: Root | undefined;
  await act(async () => {
    root = createRoot(container);
    root.render(<KioskLoader profile={loadProfile()} search={search} />);
  });
  // the screens after the attract screen arrive as a chunk of their own, as they do in the kiosk right after it
  await act(async () => {
    await loadLaterScreens();
  });

  const inert = (element: Element) => element.closest('[inert]') !== null;
  const all = (role: string, name?: string | RegExp) =>
    Array.from(document.querySelectorAll(roles[role] ?? role)).filter(
      (element) =>
        !inert(element) &&
        (name === undefined ||
          (typeof name === 'string' ? accessibleName(element) === name : name.test(accessibleName(element)))),
    );
  const get = <E extends Element = HTMLElement>(role: string, name?: string | RegExp): E => {
    const found = all(role, name);
    if (found.length !== 1) throw new Error(`Expected one ${role} named ${String(name)}, found ${found.length}`);
    return found[0] as E;
  };

  return {
    container,
    all,
    get,
    query: (role: string, name?: string | RegExp) => all(role, name)[0] ?? null,
    heading: () => document.querySelector('main h1')?.textContent ?? '',
    async click(role: string, name?: string | RegExp) {
      await act(async () => get(role, name).click());
    },
    async press(key: string) {
      await act(async () => {
        const target = document.activeElement ?? document.body;
        target.dispatchEvent(new KeyboardEvent('keydown', { key, bubbles: true, cancelable: true }));
      });
    },
    async type(keys: string) {
      for (const key of keys) await this.press(key);
    },
    async unmount() {
      await act(async () => root?.unmount());
      container.remove();
      delete window.kiosk;
    },
  };
}

type TestHost = { api: KioskApi; offer(flowId: string, locale?: Locale): unknown };

/** The kiosk on screen, then the terminal's application offers the step of `flowId` (in English unless said). */
export async function showOffer(host: TestHost, flowId: string, search = '', locale: Locale = 'en') {
  const kiosk = await showKiosk(host.api, search);
  await act(async () => {
    host.offer(flowId, locale);
  });
  return kiosk;
}

/** The airline's offer up to the keypad, in English: the flow with no host-verified number. */
export async function reachAirlineKeypad(host: TestHost, search: string, purpose: string) {
  const kiosk = await showOffer(host, 'airline', search);
  await kiosk.click('checkbox', purpose);
  await kiosk.click('button', 'Review');
  return kiosk;
}
