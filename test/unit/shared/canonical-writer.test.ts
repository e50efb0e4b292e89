import { describe, expect, it } from 'vitest';
import { ConsentEventBody, SubjectOpening } from '../../../shared/contract/consent-event.ts';
import { canonicalEventBody, canonicalJson, canonicalOpening } from '../../../shared/event-bytes.ts';
import { TestKiosk } from '../server/test-kiosk.ts';

// Texts where RFC 8785 escaping matters: quotes, backslashes, control characters, lone surrogates, astral characters.
const awkwardTexts = [
  'プロモーションをWhatsAppで受け取ることに同意します。',
  'He said "yes" \\ then \u0000\u0007\b\f\n\r\t\u001f\u007f left',
  'emoji 📱 and a lone surrogate \ud800 and \udfff',
  '\u2028\u2029 line separators, é, ß, 中文',
];

describe('the compiled canonical writer', () => {
  const writeBody = canonicalEventBody;
  const writeOpening = canonicalOpening;
  const kiosk = new TestKiosk();

  it('writes the exact bytes canonicalize writes for every event body, so signatures verify as the kiosk made them', () => {
    for (const text of awkwardTexts) {
      const { event } = kiosk.event();
      const { sig: _sig, ...body } = { ...event, notice: { ...event.notice, text }, business: { ...event.business, name: text.slice(0, 100) } };
      expect(writeBody(ConsentEventBody.parse(body))).toBe(canonicalJson(body));
      expect(writeBody(ConsentEventBody.parse(body))).not.toContain('"sig"');
    }
  });

  it('leaves out the signature of a signed event, as the signed bytes do', () => {
    const { event } = kiosk.event();
    const { sig: _sig, ...body } = event;
    expect(writeBody(event)).toBe(canonicalJson(body));
  });

  it('writes openings with and without a customer reference as canonicalize does', () => {
    const salt = 'AAAAAAAAAAAAAAAAAAAAAA';
    for (const opening of [{ phone: '+819012345678', salt }, { phone: '+819012345678', customerRef: awkwardTexts[1]!, salt }]) {
      expect(writeOpening(SubjectOpening.parse(opening))).toBe(canonicalJson(opening));
    }
  });
});
