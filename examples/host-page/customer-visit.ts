import type { BeginSessionPayload } from '../../sdk/host-client/index.ts';
import { describeAnswer, offerAndReport, OptInSession, type KioskLink, type OptInAnswer } from './kiosk-link.ts';

/** What an example host's terminal gets from its process: the kiosk link and where to say what happened. */
export type ExampleDeps = {
  link: KioskLink;
  /** Told whenever the state changes without a click on the page (the opt-in's outcome arrived). */
  changed(): void;
  /** One JSON line per event and outcome, for whoever watches this process (no personal data). */
  report(line: object): void;
  offerTimeoutMs?: number;
};

/**
 * One customer at the terminal, from the host's side of the opt-in: the language they chose, their session with
 * the kiosk, the step's outcome for the receipt. Leaving mid-step cancels the step, so the kiosk wipes its screen.
 */
export class CustomerVisit {
  locale: 'en' | 'ja' = 'en';
  answer: OptInAnswer | null = null;
  readonly #deps: ExampleDeps;
  #session: OptInSession | null = null;
  #offering = false;

  constructor(deps: ExampleDeps) {
    this.#deps = deps;
  }

  chooseLanguage(fields: URLSearchParams): void {
    this.locale = fields.get('locale') === 'ja' ? 'ja' : 'en';
  }

  async begin(payload: Omit<BeginSessionPayload, 'locale'>): Promise<void> {
    this.#session = await OptInSession.begin(this.#deps.link, { ...payload, locale: this.locale });
  }

  /** Offers the step of `flowId`; true once its outcome is in, false if the customer left meanwhile. */
  async offer(flowId: string): Promise<boolean> {
    const session = this.#session;
    this.#offering = true;
    const answer = await offerAndReport(session, { flowId, timeoutMs: this.#deps.offerTimeoutMs }, this.#deps.report);
    this.#offering = false;
    if (this.#session !== session) return false;
    this.answer = answer;
    this.#deps.changed();
    return true;
  }

  /** The customer has gone: the terminal is ready for the next one, in the default language. */
  async leave(): Promise<void> {
    const session = this.#session;
    this.#session = null;
    this.answer = null;
    this.locale = 'en';
    if (this.#offering) await session?.cancel();
    await session?.end();
  }

  answerLine(labels: Record<string, string>): string {
    return this.answer ? describeAnswer(this.answer, (id) => labels[id] ?? id) : '';
  }
}
