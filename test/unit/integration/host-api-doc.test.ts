import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { documentPath, documentText } from '../../../build/write-host-api-doc.ts';
import { hostApiCommands } from '../../../shared/contract/host-api.ts';

describe('the AsyncAPI document for integrators', () => {
  it('is the one the schemas generate (run npm run build:host-api-doc after changing them)', () => {
    expect(readFileSync(documentPath, 'utf8')).toBe(documentText());
  });

  it('describes every command with its completion, and what an offer’s completion carries', () => {
    const document = JSON.parse(documentText()) as { components: { messages: Record<string, { payload: { properties: Record<string, unknown> } }> } };
    for (const name of Object.keys(hostApiCommands)) {
      expect(document.components.messages[name]).toBeDefined();
      expect(document.components.messages[`${name}.Completion`]).toBeDefined();
    }
    expect(JSON.stringify(document.components.messages['OptIn.Offer.Completion']?.payload)).toContain('"timed_out"');
  });

  it('carries the customer\'s receipt on an accepted offer, as an optional (additive) field with the number masked', () => {
    const payload = JSON.stringify(JSON.parse(documentText()).components.messages['OptIn.Offer.Completion'].payload);
    const accepted = /\{[^{}]*"outcome":\{[^{}]*"const":"accepted"/.test(payload);
    expect(accepted).toBe(true);
    expect(payload).toMatch(/"receipt":\{/);
    for (const field of ['business', 'purposes', 'maskedNumber', 'recordedAt', 'sentences']) expect(payload).toContain(`"${field}"`);
    expect(payload).not.toMatch(/"required":\[[^\]]*"receipt"/);
  });
});
