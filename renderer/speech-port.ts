/**
 * The one place the renderer speaks: the Web Speech API's speechSynthesis, read only when first used (reading
 * window.speechSynthesis starts the platform's speech service, ≈ 0.1 s of the main thread on Linux). Terminals
 * without speech synthesis stay silent. Tests put a recording stand-in at window.speechSynthesis, the platform's
 * edge, so what is asserted is what this port handed to the platform; whether the platform's audio reaches the
 * headphones is not verified by any test here.
 */
export type SpeechPort = {
  /** Says `text` in `lang`; `interrupt` cuts off whatever is being said (a new screen), otherwise it queues. */
  say(text: string, lang: string, interrupt?: boolean): void;
  silence(): void;
};

export const speech: SpeechPort = {
  say(text, lang, interrupt = true) {
    const synth = 'speechSynthesis' in window ? window.speechSynthesis : undefined;
    if (!synth || !text) return;
    if (interrupt) synth.cancel();
    const utterance = new SpeechSynthesisUtterance(text);
    utterance.lang = lang;
    synth.speak(utterance);
  },
  silence() {
    if ('speechSynthesis' in window) window.speechSynthesis.cancel();
  },
};
