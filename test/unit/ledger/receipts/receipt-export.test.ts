import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openReceiptSigner } from '../../../../electron/cli/data-dir.ts';
import { loadProfile } from '../../../../electron/host/profile-file.ts';
import { receiptRecords } from '../../../../electron/ledger/consent-receipt.ts';
import { openFileKeyVault } from '../../../../electron/ledger/file-key-vault.ts';
import { openSealedKeyVault } from '../../../../electron/ledger/key-vault.ts';
import { keychainDouble } from '../keychain-double.ts';
import { demoProfile, exportedReceipts, ISSUED_AT, PHONE_DIGITS, signedExport } from './signed-export.ts';

const tempDir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'kiosk-receipts-'));

async function drain(iterable: AsyncIterable<unknown>): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

describe('receipts in an export', () => {
  it('gives one receipt per consent and none for clock observations or key rotations, other records passing through', async () => {
    const { lines, receipts } = await exportedReceipts({ personalData: false });
    expect(lines.map((line) => line.record)).toEqual(['header', 'receipt', 'receipt', 'receipt', 'receipt', 'receipt', 'receipt', 'receipt', 'head']);
    expect(receipts.map((receipt) => receipt.signedEvent.seq)).toEqual([1, 2, 4, 5, 6, 8, 9]);
    expect(lines.filter((line) => line.record === 'receipt').map((line) => (line as { consentReceiptID: string }).consentReceiptID)).toEqual(
      receipts.map((receipt) => receipt.signedEvent.id),
    );
  });

  it('still makes receipts of version 1 consent events, naming their business by name and number', async () => {
    const { receipts } = await exportedReceipts({ personalData: false });
    const older = receipts.filter((receipt) => receipt.signedEvent.v === 1);
    expect(older).toHaveLength(2);
    for (const receipt of older) {
      expect(receipt.iso27560.parties[0]).toMatchObject({ partyId: 'sakura-bank', partyName: 'Sakura Bank, Ltd. (demo)' });
      expect(receipt.iso27560.source.eventSchemaVersion).toBe(1);
    }
  });

  it('signs every receipt of one export with the current device key, at one issue time, each with its own receipt id', async () => {
    const { receipts, signer } = await exportedReceipts({ personalData: false });
    expect(new Set(receipts.map((receipt) => receipt.issuer.keyId))).toEqual(new Set([signer.keyId]));
    expect(new Set(receipts.map((receipt) => receipt.kantara.publicKey))).toEqual(new Set([signer.publicKey.toString('base64url')]));
    expect(new Set(receipts.map((receipt) => receipt.iso27560.createdAt))).toEqual(new Set([ISSUED_AT.toISOString()]));
    expect(new Set(receipts.map((receipt) => receipt.iso27560.receiptId)).size).toBe(receipts.length);
  });

  it('keeps phone numbers out of receipts exported without personal data', async () => {
    const { jws, receipts } = await exportedReceipts({ personalData: false });
    const text = JSON.stringify(receipts);
    for (const digits of PHONE_DIGITS) expect(text).not.toContain(digits);
    expect(jws.join('\n')).not.toMatch(/9012345678|8011112222/);
    const withData = JSON.stringify((await exportedReceipts({ personalData: true })).receipts);
    for (const digits of PHONE_DIGITS) expect(withData).toContain(digits);
  });

  it('refuses, in one sentence, a consent whose business has no data controller in the profile', async () => {
    const exported = signedExport({ personalData: false });
    const profile = { ...exported.profile, flows: exported.profile.flows.filter((flow) => flow.id !== 'airline') };
    const receipts = receiptRecords(exported.records, { profile, signer: exported.signer, issuedAt: ISSUED_AT });
    await expect(drain(receipts)).rejects.toThrow(
      /^The profile demo \(version 2026-12-02\) has no data controller for Sora Airlines \(event seq 8\); export receipts with the profile/,
    );
  });

  it('finds the controller by business when the flow has been renamed since', async () => {
    const exported = signedExport({ personalData: false });
    const profile = { ...exported.profile, flows: exported.profile.flows.map((flow) => ({ ...flow, id: `${flow.id}-2027` })) };
    const lines = await drain(receiptRecords(exported.records, { profile, signer: exported.signer, issuedAt: ISSUED_AT }));
    expect(lines.filter((line) => (line as { record: string }).record === 'receipt')).toHaveLength(7);
  });
});

describe('the key kioskctl signs receipts with', () => {
  it('is the device key when the file vault holds it', () => {
    const dataDir = tempDir();
    const vault = openFileKeyVault(dataDir, { warn: () => undefined });
    const signer = openReceiptSigner(dataDir);
    expect(signer.keyId).toBe(vault.keyId);
    expect(Buffer.from(signer.publicKey).equals(vault.publicKey)).toBe(true);
  });

  it('is refused, in one sentence, when the OS keychain seals the device key', () => {
    const dataDir = tempDir();
    openSealedKeyVault(dataDir, keychainDouble('electron-safe-storage'));
    expect(() => openReceiptSigner(dataDir)).toThrow(
      /^The device key is sealed by the kiosk's OS keychain and signs only inside the kiosk app, so kioskctl cannot sign receipts here; [^\n]+\.$/,
    );
  });

  it('is refused when the data directory holds no device key', () => {
    expect(() => openReceiptSigner(tempDir())).toThrow(/^There is no device key in .*, so no receipt can be signed\.$/);
  });
});

describe('the data controller in the profile', () => {
  const writeProfile = (edit: (profile: ReturnType<typeof demoProfile>) => unknown) => {
    const file = path.join(tempDir(), 'profile.json');
    fs.writeFileSync(file, JSON.stringify(edit(demoProfile())));
    return file;
  };

  it('is filled for both demo businesses', () => {
    const profile = loadProfile(path.resolve('profiles/demo.json'));
    expect(profile.flows.map((flow) => [flow.business.id, flow.dataController.legalName])).toEqual([
      ['sakura-bank', 'Sakura Bank, Ltd. (demo)'],
      ['sora-airlines', 'Sora Airlines Co., Ltd. (demo)'],
    ]);
  });

  it.each([
    ['missing', (flow: Record<string, unknown>) => delete flow.dataController, /flows\.0\.dataController: /],
    ['with a plain-http policy URL', (flow: Record<string, unknown>) => Object.assign(flow.dataController!, { policyUrl: 'http://sakura-bank.example/privacy' }), /flows\.0\.dataController\.policyUrl: must be an https URL/],
    ['without an email address', (flow: Record<string, unknown>) => Object.assign(flow.dataController!, { email: 'privacy office' }), /flows\.0\.dataController\.email: must be an email address/],
    ['with a retention period in hours', (flow: Record<string, unknown>) => Object.assign(flow.dataController!, { retention: 'PT48H' }), /flows\.0\.dataController\.retention: must be an ISO 8601 duration/],
    ['with no recipient', (flow: Record<string, unknown>) => Object.assign(flow.dataController!, { recipients: [] }), /flows\.0\.dataController\.recipients: /],
    ['with a lower-case jurisdiction', (flow: Record<string, unknown>) => Object.assign(flow.dataController!, { jurisdictions: ['jp'] }), /flows\.0\.dataController\.jurisdictions\.0: must be an ISO 3166-1 alpha-2/],
  ])('is refused when %s, naming the field', (_name, edit, message) => {
    const file = writeProfile((profile) => {
      edit(profile.flows[0] as unknown as Record<string, unknown>);
      return profile;
    });
    expect(() => loadProfile(file)).toThrow(message);
  });
});
