import type Database from 'better-sqlite3';
import type { RegisteredBusiness } from '../businesses/registered-business.ts';
import type { OperatorLog } from './operator-log.ts';

interface BusinessRow {
  id: string;
  name: string;
  whatsappNumber: string;
  whatsappPhoneNumberId: string | null;
}

const digitsOf = (number: string): string => number.replace(/\D/g, '');

export type PutOutcome = { ok: true; created: boolean } | { ok: false; conflict: 'whatsapp_number' | 'whatsapp_phone_number_id'; with: string };

/**
 * The businesses the API collects consent for, kept in memory (a handful of rows, read by every ingested consent
 * and every webhook). Numbers and phone-number ids are unique: a webhook must name exactly one business.
 */
export function createBusinessRegistry(db: Database.Database, operators: OperatorLog, now: () => Date) {
  const selectAll = db.prepare(`
    SELECT id, name, whatsapp_number AS whatsappNumber, whatsapp_phone_number_id AS whatsappPhoneNumberId FROM businesses ORDER BY id`);
  const upsert = db.prepare(`
    INSERT INTO businesses (id, name, whatsapp_number, whatsapp_phone_number_id, updated_at) VALUES (@id, @name, @whatsappNumber, @whatsappPhoneNumberId, @at)
    ON CONFLICT (id) DO UPDATE SET name = excluded.name, whatsapp_number = excluded.whatsapp_number,
      whatsapp_phone_number_id = excluded.whatsapp_phone_number_id, updated_at = excluded.updated_at`);
  // Consents stored before businesses had ids (migration 0002) belong to the business with their name and number.
  const claimLegacyConsents = db.prepare(`
    UPDATE events SET business_id = @id WHERE business_id IS NULL AND type = 'consent'
      AND json_extract(body, '$.business.name') = @name AND json_extract(body, '$.business.whatsappNumber') = @whatsappNumber`);
  let byId = new Map<string, RegisteredBusiness>();

  const reload = (): void => {
    byId = new Map(
      (selectAll.all() as BusinessRow[]).map(({ whatsappPhoneNumberId, ...business }) => [
        business.id,
        whatsappPhoneNumberId === null ? business : { ...business, whatsappPhoneNumberId },
      ]),
    );
  };
  reload();

  const putInTransaction = db.transaction((business: RegisteredBusiness): PutOutcome => {
    for (const other of byId.values()) {
      if (other.id === business.id) continue;
      if (other.whatsappNumber === business.whatsappNumber) return { ok: false, conflict: 'whatsapp_number', with: other.id };
      if (business.whatsappPhoneNumberId !== undefined && other.whatsappPhoneNumberId === business.whatsappPhoneNumberId) {
        return { ok: false, conflict: 'whatsapp_phone_number_id', with: other.id };
      }
    }
    const created = !byId.has(business.id);
    const unchanged = JSON.stringify(byId.get(business.id)) === JSON.stringify(business);
    if (!unchanged) {
      upsert.run({ ...business, whatsappPhoneNumberId: business.whatsappPhoneNumberId ?? null, at: now().toISOString() });
      operators.record(created ? 'business_registered' : 'business_updated', business.id, { ...business });
    }
    claimLegacyConsents.run({ id: business.id, name: business.name, whatsappNumber: business.whatsappNumber });
    return { ok: true, created };
  });

  return {
    /** Registers or updates a business; refuses a number or phone-number id another business already has. */
    put(business: RegisteredBusiness): PutOutcome {
      try {
        return putInTransaction(business);
      } finally {
        reload();
      }
    },
    list: (): RegisteredBusiness[] => [...byId.values()],
    byId: (id: string): RegisteredBusiness | undefined => byId.get(id),
    /** A version 1 consent names its business by name and number only. */
    byNameAndNumber: (name: string, whatsappNumber: string): RegisteredBusiness | undefined =>
      [...byId.values()].find((b) => b.name === name && b.whatsappNumber === whatsappNumber),
    /** The business a WhatsApp webhook's `metadata` names: by phone-number id, else by display number (digits). */
    byWhatsAppMetadata(metadata: { phone_number_id?: string; display_phone_number?: string }): RegisteredBusiness | undefined {
      const businesses = [...byId.values()];
      if (metadata.phone_number_id !== undefined) {
        const found = businesses.find((b) => b.whatsappPhoneNumberId === metadata.phone_number_id);
        if (found) return found;
      }
      const display = metadata.display_phone_number === undefined ? '' : digitsOf(metadata.display_phone_number);
      return display === '' ? undefined : businesses.find((b) => digitsOf(b.whatsappNumber) === display && (metadata.phone_number_id === undefined || b.whatsappPhoneNumberId === undefined));
    },
  };
}

export type BusinessRegistry = ReturnType<typeof createBusinessRegistry>;
