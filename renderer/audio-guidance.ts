import { useEffect, useRef } from 'react';

/** The words of the current step: an open dialog first, otherwise the heading and the marked lines of <main>. */
function currentStep(): { heading: string; text: string } {
  const scope = document.querySelector('[role="alertdialog"]') ?? document.querySelector('main');
  const texts = (selector: string) =>
    Array.from(scope?.querySelectorAll(selector) ?? [], (part) => part.textContent?.trim() ?? '').filter(Boolean);
  return { heading: texts('h1, h2').join('. '), text: texts('h1, h2, [data-speak]').join('. ') };
}

/**
 * Reads the current step aloud when audio guidance is on, and again whenever the step or language changes.
 * Terminals without speech synthesis simply stay silent.
 */
export function useAudioGuidance(enabled: boolean, locale: string): void {
  const lastSpoken = useRef('');
  useEffect(() => {
    // Reading window.speechSynthesis starts the platform's speech service (~0.1 s on the main thread on Linux), so
    // it is not touched until someone turns audio guidance on.
    if (!enabled && !lastSpoken.current) return;
    const synth = 'speechSynthesis' in window ? window.speechSynthesis : undefined;
    if (!synth) return;
    if (!enabled) {
      synth.cancel();
      lastSpoken.current = '';
      return;
    }
    // Keyed by heading, not by full text, so a countdown or a typed digit does not restart the reading.
    const { heading, text } = currentStep();
    const key = `${locale}\n${heading}`;
    if (!text || key === lastSpoken.current) return;
    lastSpoken.current = key;
    synth.cancel();
    const utterance = new SpeechSynthesisUtterance(text);
    utterance.lang = locale;
    synth.speak(utterance);
  });
}
