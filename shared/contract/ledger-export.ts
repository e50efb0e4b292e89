import { z } from 'zod';
import { SignedApiStatement } from './api-statement.ts';
import { ChainEvent } from './chain-event.ts';
import { SubjectOpening } from './consent-event.ts';
import { Ed25519Signature, IsoTimestamp, KeyId, RawPublicKey, Sha256Hex } from './primitives.ts';

/**
 * `kioskctl export`: JSON Lines, one record per line — the header, every chain event in seq order, the API's latest
 * statement about the device (when the kiosk has one), and last the head statement the device key signs. Every
 * field, which are signed and how to verify them: docs/event-format.md, "The export".
 */
export const LEDGER_EXPORT_FORMAT = 'consent-kiosk-ledger/2';

const ExportedKey = z
  .object({
    keyId: KeyId,
    raw: RawPublicKey,
    /** The same key as SPKI PEM, for openssl. */
    pem: z.string().startsWith('-----BEGIN PUBLIC KEY-----'),
  })
  .strict();

/** What `verify` found wrong with the ledger; present only in an export made with `--allow-broken`. */
export const ExportBreak = z
  .object({ problem: z.string().min(1), seq: z.number().int().nullable(), eventId: z.string().nullable(), message: z.string() })
  .strict();
export type ExportBreak = z.infer<typeof ExportBreak>;

export const ExportHeader = z
  .object({
    record: z.literal('header'),
    format: z.literal(LEDGER_EXPORT_FORMAT),
    deviceId: z.uuid(),
    /** The device's current key: the one that signs the head statement. */
    keyId: KeyId,
    publicKey: ExportedKey.omit({ keyId: true }),
    /** Every key the device has signed with, each valid from `fromSeq` until the next key's. */
    keys: z.array(ExportedKey.extend({ fromSeq: z.number().int().min(1) })).min(1),
    exportedAt: IsoTimestamp,
    containsPersonalData: z.boolean(),
    break: ExportBreak.optional(),
  })
  .strict();
export type ExportHeader = z.infer<typeof ExportHeader>;

export const ExportedChainEvent = z
  .object({
    record: z.literal('event'),
    event: ChainEvent,
    /** Not signed: lower-hex SHA-256 of the event's signed bytes, the next event's `prev`. */
    hash: Sha256Hex,
    /** Not signed: how far the kiosk got sending it to the central API. */
    sync: z.object({ state: z.enum(['pending', 'synced', 'dead']), syncedAt: IsoTimestamp.nullable() }).strict(),
    /** Consents only, in exports with personal data: the opening of `event.subject.commitment`, null once erased. */
    subject: SubjectOpening.nullable().optional(),
  })
  .strict();
export type ExportedChainEvent = z.infer<typeof ExportedChainEvent>;

/** The latest statement the central API signed about this device's chain, as the kiosk received and checked it. */
export const ExportedApiStatement = z
  .object({ record: z.literal('api_statement'), statement: SignedApiStatement, receivedAt: IsoTimestamp })
  .strict();
export type ExportedApiStatement = z.infer<typeof ExportedApiStatement>;

/**
 * What the device key signs at the end of an export (RFC 8785 canonical JSON, Ed25519): this many events, ending at
 * this seq and hash, at this time — so an export whose tail was cut no longer matches its own last line.
 */
export const ExportHeadStatement = z
  .object({
    v: z.literal(1),
    type: z.literal('export_head'),
    deviceId: z.uuid(),
    keyId: KeyId,
    /** The last exported event, or null for a ledger without events. */
    head: z.object({ seq: z.number().int().min(1), hash: Sha256Hex }).strict().nullable(),
    events: z.number().int().min(0),
    exportedAt: IsoTimestamp,
    break: ExportBreak.nullable(),
  })
  .strict();
export type ExportHeadStatement = z.infer<typeof ExportHeadStatement>;

export const ExportedHead = z
  .object({
    record: z.literal('head'),
    statement: ExportHeadStatement,
    /** Null when the exporting tool could not unseal the device key (a keychain-sealed vault); then `unsigned` says so. */
    sig: Ed25519Signature.nullable(),
    unsigned: z.string().optional(),
  })
  .strict();
export type ExportedHead = z.infer<typeof ExportedHead>;

export const ExportRecord = z.discriminatedUnion('record', [ExportHeader, ExportedChainEvent, ExportedApiStatement, ExportedHead]);
export type ExportRecord = z.infer<typeof ExportRecord>;
