import type { ExportedEvent, ExportHeader } from './event-export.ts';

/**
 * One event as a standard consent receipt: Kantara Consent Receipt v1.1 field names, plus the ISO/IEC TS 27560
 * record structure, plus the signed event itself so the receipt can be verified. Mapping: docs/receipts.md.
 */
export function toConsentReceipt(header: ExportHeader, exported: ExportedEvent) {
  const { event } = exported;
  const subject = exported.subject ?? null;
  const principal = subject ? subject.phone : `commitment:${event.subject.commitment}`;
  const timestamp = Date.parse(event.capturedAt);
  return {
    record: 'receipt' as const,
    kantara: {
      version: 'KI-CR-v1.1.0',
      jurisdiction: null,
      consentTimestamp: Math.floor(timestamp / 1000),
      collectionMethod: `channel ${event.channel}, ${event.entryPoint}, number ${event.subject.source.replace('_', ' ')}`,
      consentReceiptID: event.id,
      publicKey: header.publicKey.raw,
      language: event.notice.locale,
      piiPrincipalId: principal,
      piiControllers: [{ piiController: event.business.name, contact: 'WhatsApp', phone: event.business.whatsappNumber, onBehalf: false }],
      policyUrl: null,
      services: [
        {
          service: 'WhatsApp business messages',
          purposes: [
            {
              purpose: event.notice.text,
              purposeCategory: [event.purpose.id, event.purpose.category],
              consentType: 'EXPLICIT',
              piiCategory: ['phone number'],
              primaryPurpose: event.purpose.category === 'utility',
              termination: event.kind === 'opt_out' ? 'withdrawn' : 'until withdrawn; opt out at any time',
              thirdPartyDisclosure: true,
              thirdPartyName: 'WhatsApp (Meta Platforms)',
            },
          ],
        },
      ],
      sensitive: false,
      spiCat: [],
    },
    iso27560: {
      recordId: event.id,
      schemaVersion: event.v,
      piiPrincipal: { id: principal, source: event.subject.source },
      controller: { name: event.business.name, contact: event.business.whatsappNumber },
      notice: { id: event.notice.id, version: event.notice.version, language: event.notice.locale, text: event.notice.text },
      purposes: [{ id: event.purpose.id, category: event.purpose.category }],
      event: {
        type: event.kind === 'opt_in' ? 'given' : 'withdrawn',
        timestamp: event.capturedAt,
        clockKnownGood: event.clock.knownGood,
      },
      collection: { channel: event.channel, entryPoint: event.entryPoint, flowId: event.flowId, deviceId: event.device.id },
      proof: { keyId: event.device.keyId, seq: event.seq, prev: event.prev, hash: exported.hash, signature: event.sig },
    },
    signedEvent: event,
  };
}
