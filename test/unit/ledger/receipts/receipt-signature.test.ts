import crypto from 'node:crypto';
import canonicalize from 'canonicalize';
import { CompactSign, compactVerify, decodeProtectedHeader, importJWK } from 'jose';
import { describe, expect, it } from 'vitest';
import { DeviceKeys } from '../../../../shared/contract/sync.ts';
import { receiptVerificationKey, verifyReceipt } from '../../../../shared/receipts/receipt-signing.ts';
import { exportedReceipts } from './signed-export.ts';

/** What GET /v1/devices/{id}/keys answers for the exporting device: its first key, then the rotated one. */
async function publishedKeys() {
  const exported = await exportedReceipts({ personalData: false });
  const deviceId = exported.receipts[0]!.issuer.deviceId;
  const keys = DeviceKeys.parse({
    deviceId,
    placement: null,
    revokedAt: null,
    keys: [
      { keyId: exported.firstKey.keyId, publicKey: exported.firstKey.publicKey.toString('base64url'), fromSeq: 1, toSeq: 7, addedAt: '2026-11-01T00:00:00.000Z', addedBy: 'enrolment' },
      { keyId: exported.signer.keyId, publicKey: exported.signer.publicKey.toString('base64url'), fromSeq: 8, toSeq: null, addedAt: '2026-11-05T09:20:00.000Z', addedBy: 'rotation' },
    ],
  });
  return { ...exported, keys };
}

/** An auditor's check with jose alone and the keys the API publishes: header, key by kid, signature. */
async function auditorReads(jws: string, keys: DeviceKeys) {
  const header = decodeProtectedHeader(jws);
  expect(header).toEqual({ alg: 'EdDSA', kid: expect.any(String), typ: 'consent-receipt+jws' });
  const published = keys.keys.find((key) => key.keyId === header.kid);
  if (!published) throw new Error(`key ${header.kid} is not one of the device's keys`);
  const key = await importJWK({ kty: 'OKP', crv: 'Ed25519', x: published.publicKey }, 'EdDSA');
  const { payload } = await compactVerify(jws, key, { algorithms: ['EdDSA'] });
  return JSON.parse(new TextDecoder().decode(payload));
}

const segments = (jws: string) => jws.split('.') as [string, string, string];

describe('signed receipts', () => {
  it('verify with jose alone against the device key the API publishes, named by kid', async () => {
    const { jws, keys, receipts, signer } = await publishedKeys();
    expect(jws).toHaveLength(7);
    for (const [index, token] of jws.entries()) {
      expect(decodeProtectedHeader(token).kid).toBe(signer.keyId);
      expect(await auditorReads(token, keys)).toEqual(receipts[index]);
    }
  });

  it('carry the signed event, which verifies against the key valid for its seq', async () => {
    const { jws, keys } = await publishedKeys();
    for (const token of jws) {
      const { signedEvent } = await auditorReads(token, keys);
      const { sig, ...body } = signedEvent;
      const key = keys.keys.find((candidate) => candidate.fromSeq <= body.seq && (candidate.toSeq === null || body.seq <= candidate.toSeq))!;
      expect(key.keyId).toBe(body.device.keyId);
      const publicKey = crypto.createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: key.publicKey }, format: 'jwk' });
      expect(crypto.verify(null, Buffer.from(canonicalize(body)!, 'utf8'), publicKey, Buffer.from(sig, 'base64url'))).toBe(true);
    }
  });

  it('refuse a receipt with one changed byte, in the header, the payload or the signature', async () => {
    const { jws, keys } = await publishedKeys();
    const [header, payload, signature] = segments(jws[2]!);
    const changeByte = (segment: string, index: number) => {
      const bytes = Buffer.from(segment, 'base64url');
      bytes[index] = bytes[index]! ^ 0x01;
      return bytes.toString('base64url');
    };
    const text = Buffer.from(payload, 'base64url').toString('utf8');
    const headerText = Buffer.from(header, 'base64url').toString('utf8');
    const changed = [
      `${changeByte(header, headerText.indexOf('receipt'))}.${payload}.${signature}`,
      `${header}.${changeByte(payload, text.indexOf('"kind":"opt_in"') + 9)}.${signature}`,
      `${header}.${changeByte(payload, Math.floor(text.length / 2))}.${signature}`,
      `${header}.${payload}.${changeByte(signature, 31)}`,
    ];
    for (const token of changed) {
      await expect(auditorReads(token, keys)).rejects.toThrow();
    }
    await expect(auditorReads(jws[2]!, keys)).resolves.toBeDefined();
  });

  it('refuse a receipt re-signed with a fresh key under the device key id', async () => {
    const { jws, keys, signer } = await publishedKeys();
    const payload = Buffer.from(segments(jws[0]!)[1], 'base64url');
    const { privateKey } = crypto.generateKeyPairSync('ed25519');
    const forged = await new CompactSign(payload).setProtectedHeader({ alg: 'EdDSA', kid: signer.keyId, typ: 'consent-receipt+jws' }).sign(privateKey);
    await expect(auditorReads(forged, keys)).rejects.toThrow(/signature verification failed/);
  });

  it('refuse a JWS that is not a consent receipt, even if the device key signed it', async () => {
    const { jws, signer } = await publishedKeys();
    const [, payload] = segments(jws[0]!);
    const header = Buffer.from(JSON.stringify({ alg: 'EdDSA', kid: signer.keyId, typ: 'JWT' })).toString('base64url');
    const other = `${header}.${payload}.${signer.sign(Buffer.from(`${header}.${payload}`, 'ascii')).toString('base64url')}`;
    const key = await receiptVerificationKey(signer.publicKey);
    await expect(verifyReceipt(other, key)).rejects.toThrow(/not a consent receipt/);
    await expect(verifyReceipt(jws[0]!, key)).resolves.toMatchObject({ v: 1 });
  });
});
