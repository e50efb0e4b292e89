import { useEffect, useRef } from 'react';
import type { MessageId } from './i18n/en.ts';
import type { Text } from './i18n/use-text.tsx';
import { speech } from './speech-port.ts';

/** The words of the current step: an open dialog first, otherwise the heading and the marked lines of <main>. */
function currentStep(): { heading: string; text: string } {
  const scope = document.querySelector('[role="alertdialog"]') ?? document.querySelector('main');
  const texts = (selector: string) =>
    Array.from(scope?.querySelectorAll(selector) ?? [], (part) => part.textContent?.trim() ?? '').filter(Boolean);
  return { heading: texts('h1, h2').join('. '), text: texts('h1, h2, [data-speak]').join('. ') };
}

/** A control as a listener needs it: its name, and whether it is ticked or switched on. */
export function describeControl(element: Element, text: Text): string {
  const label = element.closest('label');
  const name = (element.getAttribute('aria-label') ?? (label ?? element).textContent ?? '').trim();
  if (element instanceof HTMLInputElement && element.type === 'checkbox') {
    return `${name}, ${text(element.checked ? 'speech.checked' : 'speech.notChecked')}`;
  }
  const pressed = element.getAttribute('aria-pressed');
  if (pressed !== null) return `${name}, ${text(pressed === 'true' ? 'speech.on' : 'speech.off')}`;
  return name;
}

/** Said once before the screen is read, e.g. when headphones are plugged in; a new `id` says it again. */
export type Announcement = { id: number; message: MessageId };

/**
 * Private listening: while on, each step is read aloud when it appears or the language changes, then whatever
 * the customer moves to (control and state), each digit typed and each error, in the screen's language.
 */
export function useAudioGuidance(enabled: boolean, locale: string, text: Text, announcement: Announcement | null = null): void {
  const lastSpoken = useRef('');
  const lastAnnounced = useRef(0);
  useEffect(() => {
    if (!enabled) {
      if (lastSpoken.current) speech.silence();
      lastSpoken.current = '';
      return;
    }
    // The announcement first, then the screen from its start, queued behind it.
    let queued = false;
    if (announcement && announcement.id !== lastAnnounced.current) {
      lastAnnounced.current = announcement.id;
      speech.say(text(announcement.message), locale);
      // Not a screen's key, so the screen is read again; and not empty, so turning off silences it.
      lastSpoken.current = 'announced';
      queued = true;
    }
    // Keyed by heading, not by full text, so a countdown or a typed digit does not restart the reading.
    const readStep = () => {
      const { heading, text: words } = currentStep();
      const key = `${locale}\n${heading}`;
      if (!words || key === lastSpoken.current) return;
      lastSpoken.current = key;
      speech.say(words, locale, !queued);
      queued = false;
    };
    readStep();
    // A new screen inside a step (offer → number → review) is a change of the DOM, not of this component.
    const screens = new MutationObserver(readStep);
    screens.observe(document.body, { childList: true, subtree: true });
    return () => screens.disconnect();
  }, [enabled, locale, text, announcement]);

  useEffect(() => {
    if (!enabled) return;
    const onFocus = (event: FocusEvent) => {
      const target = event.target;
      if (target instanceof HTMLElement && target.matches('button, input, select')) speech.say(describeControl(target, text), locale);
    };
    const onKey = (event: KeyboardEvent) => {
      if (/^\d$/.test(event.key)) speech.say(event.key, locale, false);
    };
    // A checkbox ticked by Space or Enter keeps its focus: its new state is said when it changes.
    const onChange = (event: Event) => {
      if (event.target instanceof HTMLInputElement && event.target.type === 'checkbox') speech.say(describeControl(event.target, text), locale);
    };
    const alerts = new MutationObserver((changes) => {
      for (const change of changes) {
        for (const node of change.addedNodes) {
          if (node instanceof HTMLElement && node.matches('[role="alert"]')) speech.say(node.textContent ?? '', locale, false);
        }
      }
    });
    alerts.observe(document.body, { childList: true, subtree: true });
    document.addEventListener('focusin', onFocus);
    document.addEventListener('keydown', onKey);
    document.addEventListener('change', onChange);
    return () => {
      alerts.disconnect();
      document.removeEventListener('focusin', onFocus);
      document.removeEventListener('keydown', onKey);
      document.removeEventListener('change', onChange);
    };
  }, [enabled, locale, text]);
}
