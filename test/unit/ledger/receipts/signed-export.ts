import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { v7 as uuidv7 } from 'uuid';
import { ChainEvent, type ChainEventBody } from '../../../../shared/contract/chain-event.ts';
import { GENESIS_HASH, type SubjectOpening } from '../../../../shared/contract/consent-event.ts';
import type { ConsentKind, Locale, SubjectSource } from '../../../../shared/contract/primitives.ts';
import { Profile, type Flow } from '../../../../shared/contract/profile.ts';
import { canonicalEventBody, canonicalOpening } from '../../../../shared/event-bytes.ts';
import { renderConsentSentence } from '../../../../shared/wording.ts';
import type { ConsentReceipt } from '../../../../shared/receipts/consent-receipt.ts';
import { receiptRecords, type ReceiptRecord } from '../../../../electron/ledger/consent-receipt.ts';
import { sha256Hex } from '../../../../electron/ledger/event-signing.ts';
import { openFileKeyVault } from '../../../../electron/ledger/file-key-vault.ts';
import type { KeyVault } from '../../../../electron/ledger/key-vault.ts';

export const demoProfile = (): Profile =>
  Profile.parse(JSON.parse(fs.readFileSync(path.resolve('profiles/demo.json'), 'utf8')));

const quiet = () => undefined;

/** A device key in a real file vault, in a fresh temp directory. */
export function deviceVault(): KeyVault {
  return openFileKeyVault(fs.mkdtempSync(path.join(os.tmpdir(), 'kiosk-receipts-')), { warn: quiet });
}

type Consent = { v: 1 | 2; flow: 'atm' | 'airline'; kind: ConsentKind; purposeId: string; locale: Locale; source: SubjectSource; customerRef?: string };

export type ExportRecord =
  | { record: 'header'; deviceId: string; keyId: string }
  | { record: 'event'; event: ChainEvent; hash: string; sync: { state: 'synced'; syncedAt: string }; subject?: SubjectOpening | null }
  | { record: 'head'; seq: number };

/** What the phone numbers of the export look like in any text, for "no personal data" checks. */
export const PHONE_DIGITS = ['9012345678', '8011112222'];

/**
 * A ledger's export as `kioskctl export` yields it, signed for real: a device that signed version 1 consents,
 * observed its clock, signed version 2 consents for the bank, rotated its key, and signed airline consents with the
 * next key. `erased` lists the seqs whose opening retention erased.
 */
export function signedExport(options: { personalData: boolean; erased?: number[] }) {
  const profile = demoProfile();
  const first = deviceVault();
  const current = deviceVault();
  const deviceId = crypto.randomUUID();
  const bootId = crypto.randomUUID();
  const records: ExportRecord[] = [{ record: 'header', deviceId, keyId: current.keyId }];
  let prev = GENESIS_HASH;
  let seq = 0;
  let vault = first;
  const at = (minute: number) => new Date(Date.UTC(2026, 10, 5, 9, minute)).toISOString();

  const append = (body: ChainEventBody, subject?: SubjectOpening) => {
    const bytes = canonicalEventBody(body);
    const event = ChainEvent.parse({ ...body, sig: vault.sign(Buffer.from(bytes, 'utf8')).toString('base64url') });
    const hash = sha256Hex(bytes);
    prev = hash;
    const exported: ExportRecord = { record: 'event', event, hash, sync: { state: 'synced', syncedAt: at(59) } };
    if (options.personalData) exported.subject = options.erased?.includes(event.seq) ? null : (subject ?? null);
    records.push(exported);
  };
  const link = () => ({ id: uuidv7(), seq: ++seq, prev, device: { id: deviceId, keyId: vault.keyId } });
  const clock = () => ({ knownGood: true, bootId, monoMs: 60_000 * seq });

  const consent = (c: Consent) => {
    const flow = profile.flows.find((candidate) => candidate.id === c.flow) as Flow;
    const phone = c.flow === 'atm' ? `+81${PHONE_DIGITS[0]}` : `+81${PHONE_DIGITS[1]}`;
    const opening: SubjectOpening = { phone, ...(c.customerRef ? { customerRef: c.customerRef } : {}), salt: crypto.randomBytes(16).toString('base64url') };
    const sentence = renderConsentSentence(flow, c.kind, [c.purposeId], c.locale);
    const purpose = flow.purposes.find((candidate) => candidate.id === c.purposeId)!;
    const terms = {
      ...link(),
      kind: c.kind,
      subject: { source: c.source, commitment: sha256Hex(canonicalOpening(opening)) },
      purpose: { id: purpose.id, category: purpose.category },
      notice: { ...sentence.notice, text: sentence.text },
      channel: flow.channel,
      entryPoint: flow.entryPoint,
      flowId: flow.id,
      capturedAt: at(seq),
    };
    const { name, whatsappNumber, id } = flow.business;
    append(
      c.v === 1
        ? { v: 1, ...terms, business: { name, whatsappNumber }, clock: { knownGood: true } }
        : { v: 2, type: 'consent', ...terms, business: { id, name, whatsappNumber }, clock: clock() },
      opening,
    );
  };

  consent({ v: 1, flow: 'atm', kind: 'opt_in', purposeId: 'balance_alerts', locale: 'en', source: 'self_entered' });
  consent({ v: 1, flow: 'atm', kind: 'opt_out', purposeId: 'balance_alerts', locale: 'ja', source: 'self_entered' });
  const sent = { at: at(10), monoMs: 600_000 };
  append({
    v: 2,
    type: 'clock_observation',
    ...link(),
    capturedAt: at(10),
    clock: clock(),
    statement: {
      statement: { v: 1, type: 'device_head', keyId: 'a'.repeat(32), deviceId, head: { seq: 2, hash: prev }, issuedAt: at(10) },
      sig: 'A'.repeat(86),
    },
    sent,
    received: { at: at(10), monoMs: 600_040 },
  });
  consent({ v: 2, flow: 'atm', kind: 'opt_in', purposeId: 'payment_notices', locale: 'en', source: 'host_verified', customerRef: 'demo-customer-0001' });
  consent({ v: 2, flow: 'atm', kind: 'opt_in', purposeId: 'offers', locale: 'es', source: 'host_verified' });
  consent({ v: 2, flow: 'atm', kind: 'opt_out', purposeId: 'offers', locale: 'en', source: 'self_entered' });
  append({
    v: 2,
    type: 'key_rotation',
    ...link(),
    capturedAt: at(20),
    clock: clock(),
    next: { keyId: current.keyId, publicKey: current.publicKey.toString('base64url') },
    reason: 'scheduled',
  });
  vault = current;
  consent({ v: 2, flow: 'airline', kind: 'opt_in', purposeId: 'gate_changes', locale: 'pt-BR', source: 'self_entered' });
  consent({ v: 2, flow: 'airline', kind: 'opt_in', purposeId: 'delays', locale: 'id', source: 'self_entered' });
  records.push({ record: 'head', seq });
  return { records, profile, signer: current, firstKey: first };
}

export const consentEvents = (records: ExportRecord[]) =>
  records.filter((record) => record.record === 'event' && (record.event.v === 1 || record.event.type === 'consent'));

/** The payload of a compact JWS, read without verifying it (the signature tests verify). */
export const payloadOf = (jws: string): ConsentReceipt => JSON.parse(Buffer.from(jws.split('.')[1]!, 'base64url').toString('utf8'));

export const ISSUED_AT = new Date('2026-12-01T08:00:00.000Z');

/** `kioskctl export --format receipts` over `signedExport`: every line, and the receipts decoded. */
export async function exportedReceipts(options: { personalData: boolean; erased?: number[] }) {
  const exported = signedExport(options);
  const lines: Array<ExportRecord | ReceiptRecord> = [];
  for await (const line of receiptRecords(exported.records, { profile: exported.profile, signer: exported.signer, issuedAt: ISSUED_AT })) {
    lines.push(line);
  }
  const jws = lines.flatMap((line) => (line.record === 'receipt' ? [line.jws] : []));
  return { ...exported, lines, jws, receipts: jws.map(payloadOf) };
}
