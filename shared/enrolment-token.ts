import { damm } from 'cdigit';

/**
 * One-time enrolment tokens a technician types on the terminal's numeric keypad: 15 random digits and a Damm check
 * digit (which catches every single wrong digit and every swap of two neighbours), shown in groups of four. About 50
 * bits: enough for a token that works once, for one enrolment, and that the API refuses after use.
 */
export const ENROLMENT_TOKEN_DIGITS = 16;

/** A new token from `randomDigits` (the caller's CSPRNG; shared/ has no crypto of its own), check digit appended. */
export function newEnrolmentToken(randomDigits: (count: number) => string): string {
  return damm.generate(randomDigits(ENROLMENT_TOKEN_DIGITS - 1));
}

/** As printed for a technician: 1234 5678 9012 3456. */
export function groupedToken(token: string): string {
  return token.replace(/(\d{4})(?=\d)/g, '$1 ');
}

/** The typed token's digits, or why it cannot be one, before the network is asked. */
export function checkTypedToken(typed: string): { ok: true; token: string } | { ok: false; problem: string } {
  const token = typed.replace(/[\s-]/g, '');
  if (!/^\d*$/.test(token)) return { ok: false, problem: 'An enrolment token has digits only.' };
  if (token.length !== ENROLMENT_TOKEN_DIGITS) {
    return { ok: false, problem: `That is ${token.length} digits; an enrolment token has ${ENROLMENT_TOKEN_DIGITS}.` };
  }
  if (!damm.validate(token)) return { ok: false, problem: 'The check digit does not match: a digit was mistyped. Type the token again.' };
  return { ok: true, token };
}
