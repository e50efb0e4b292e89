import { randomInt } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checkTypedToken, groupedToken, newEnrolmentToken } from '../../../shared/enrolment-token.ts';

const randomDigits = (count: number) => Array.from({ length: count }, () => randomInt(10)).join('');

describe('a typed enrolment token', () => {
  it('is accepted as printed, in groups of four, and catches every single mistyped digit and every swap of neighbours', () => {
    const token = newEnrolmentToken(randomDigits);
    expect(token).toMatch(/^\d{16}$/);
    expect(checkTypedToken(groupedToken(token))).toEqual({ ok: true, token });
    for (let at = 0; at < token.length; at += 1) {
      for (let digit = 0; digit <= 9; digit += 1) {
        if (String(digit) === token[at]) continue;
        expect(checkTypedToken(token.slice(0, at) + digit + token.slice(at + 1)).ok).toBe(false);
      }
      if (at + 1 < token.length && token[at] !== token[at + 1]) {
        expect(checkTypedToken(token.slice(0, at) + token[at + 1] + token[at] + token.slice(at + 2)).ok).toBe(false);
      }
    }
  });

  it('says what is wrong with one that is too short or not digits', () => {
    expect(checkTypedToken('1234 5678')).toEqual({ ok: false, problem: 'That is 8 digits; an enrolment token has 16.' });
    expect(checkTypedToken('ABCD')).toEqual({ ok: false, problem: 'An enrolment token has digits only.' });
  });
});
