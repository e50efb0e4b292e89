import fs from 'node:fs';
import path from 'node:path';
import { KioskFailure } from '../../shared/contract/errors.ts';
import { plaintextSealer } from '../ledger/file-key-vault.ts';
import { openVaultForInspection, readVaultPublicKey } from '../ledger/key-vault.ts';
import { openLedgerReader, type LedgerReader } from '../ledger/ledger.ts';
import type { ReceiptSigner } from '../../shared/receipts/receipt-signing.ts';

export const DEFAULT_DATA_DIR = './.kiosk-data';

/** `--data DIR`, else $KIOSK_DATA_DIR, else ./.kiosk-data. */
export function resolveDataDir(option: string | undefined): string {
  return path.resolve(option ?? process.env.KIOSK_DATA_DIR ?? DEFAULT_DATA_DIR);
}

export function requireDataDir(dataDir: string): void {
  if (!fs.existsSync(dataDir)) throw new KioskFailure('not_found', `The data directory ${dataDir} does not exist.`);
  if (!fs.statSync(dataDir).isDirectory()) throw new KioskFailure('not_found', `${dataDir} is not a directory.`);
}

/**
 * Opens an existing ledger read-only. The public key comes from the key file without unsealing; the data key and
 * the signing key (for the export's head statement) only when the development vault holds them: a safeStorage
 * vault can be unsealed only inside the Electron app. Nothing is written, not even the key file.
 */
export function openForInspection(dataDir: string): { reader: LedgerReader; canDecrypt: boolean } {
  requireDataDir(dataDir);
  const keys = readVaultPublicKey(dataDir);
  const vault = keys?.sealer === plaintextSealer.name ? openVaultForInspection(dataDir, plaintextSealer) : null;
  const reader = openLedgerReader({
    dataDir,
    dataKey: vault?.dataKey() ?? null,
    ...(keys ? { expectedPublicKey: keys.publicKey } : {}),
    ...(vault ? { signer: vault } : {}),
  });
  return { reader, canDecrypt: vault !== null };
}

/**
 * The device key, to sign receipts with. kioskctl runs on plain Node, so it reaches the key only in the file vault
 * (development and the Chromium shell); under Electron the OS keychain seals it for the kiosk app alone.
 */
export function openReceiptSigner(dataDir: string): ReceiptSigner {
  const keys = readVaultPublicKey(dataDir);
  if (!keys) throw new KioskFailure('not_found', `There is no device key in ${dataDir}, so no receipt can be signed.`);
  if (keys.sealer !== plaintextSealer.name) {
    throw new KioskFailure(
      'forbidden',
      "The device key is sealed by the kiosk's OS keychain and signs only inside the kiosk app, so kioskctl cannot sign receipts here; export --format jsonl, whose signed events every receipt is made from.",
    );
  }
  return openVaultForInspection(dataDir, plaintextSealer);
}
