import type { RegisteredBusiness } from '../businesses/registered-business.ts';
import type { ConsentStates } from './consent-states.ts';
import type { OperatorLog } from './operator-log.ts';
import type { SqlDb, SqlQueries, SqlTx } from './sql.ts';

interface BusinessRow {
  id: string;
  name: string;
  whatsappNumber: string;
  whatsappPhoneNumberId: string | null;
}

const digitsOf = (number: string): string => number.replace(/\D/g, '');

export type PutOutcome = { ok: true; created: boolean } | { ok: false; conflict: 'whatsapp_number' | 'whatsapp_phone_number_id'; with: string };

/** The registered businesses at one moment: what a consent, a webhook and a check are judged against. */
export interface BusinessDirectory {
  list: () => RegisteredBusiness[];
  byId: (id: string) => RegisteredBusiness | undefined;
  /** The business a WhatsApp webhook's `metadata` names: by phone-number id, else by display number (digits). */
  byWhatsAppMetadata: (metadata: { phone_number_id?: string; display_phone_number?: string }) => RegisteredBusiness | undefined;
}

function directoryOf(rows: readonly BusinessRow[]): BusinessDirectory {
  const byId = new Map(
    rows.map(({ whatsappPhoneNumberId, ...business }): [string, RegisteredBusiness] => [
      business.id,
      whatsappPhoneNumberId === null ? business : { ...business, whatsappPhoneNumberId },
    ]),
  );
  const businesses = [...byId.values()];
  return {
    list: () => [...businesses],
    byId: (id) => byId.get(id),
    byWhatsAppMetadata(metadata) {
      if (metadata.phone_number_id !== undefined) {
        const found = businesses.find((b) => b.whatsappPhoneNumberId === metadata.phone_number_id);
        if (found) return found;
      }
      const display = metadata.display_phone_number === undefined ? '' : digitsOf(metadata.display_phone_number);
      return display === '' ? undefined : businesses.find((b) => digitsOf(b.whatsappNumber) === display && (metadata.phone_number_id === undefined || b.whatsappPhoneNumberId === undefined));
    },
  };
}

const SELECT_ALL = `SELECT id, name, whatsapp_number AS "whatsappNumber", whatsapp_phone_number_id AS "whatsappPhoneNumberId" FROM businesses ORDER BY id`;

/**
 * The businesses the API collects consent for, kept in memory (a handful of rows, read by every ingested consent
 * and every webhook) and read again when older than `maxAgeMs`, so that a business another instance registered is
 * known here within that time; one registered through this instance is known at once. Numbers and phone-number ids
 * are unique: a webhook must name exactly one business.
 */
export function createBusinessRegistry(db: SqlDb, { operators, states, now, maxAgeMs }: { operators: OperatorLog; states: ConsentStates; now: () => Date; maxAgeMs: number }) {
  const { jsonText, inList, list } = db.dialect;
  let directory = directoryOf([]);
  let loadedAt = -Infinity;

  const reload = async (on: SqlQueries = db): Promise<BusinessDirectory> => {
    directory = directoryOf(await on.all<BusinessRow>(SELECT_ALL));
    loadedAt = performance.now();
    return directory;
  };

  // Consents stored before businesses had ids (migration 0002) belong to the business with their name and number.
  async function claimLegacyConsents(tx: SqlTx, business: RegisteredBusiness): Promise<void> {
    const claimed = await tx.all<{ commitment: string }>(
      `UPDATE events SET business_id = ? WHERE business_id IS NULL AND type = 'consent'
        AND ${jsonText('body', ['business', 'name'])} = ? AND ${jsonText('body', ['business', 'whatsappNumber'])} = ? RETURNING commitment`,
      [business.id, business.name, business.whatsappNumber],
    );
    if (claimed.length === 0) return;
    const keys = await tx.all<{ phoneKey: string }>(`SELECT DISTINCT phone_key AS "phoneKey" FROM subjects WHERE ${inList('commitment')}`, [
      list([...new Set(claimed.map((row) => row.commitment))]),
    ]);
    await states.refreshKiosk(tx, keys.map((key) => key.phoneKey));
  }

  return {
    /** The registry, read again first if it is older than `maxAgeMs`. */
    current: async (): Promise<BusinessDirectory> => (performance.now() - loadedAt > maxAgeMs ? reload() : directory),

    /** The registry as the database holds it now. */
    reload: (): Promise<BusinessDirectory> => reload(),

    /** One business; one not known here is looked for in the database too (another instance may have just registered it). */
    async find(id: string): Promise<RegisteredBusiness | undefined> {
      const held = (performance.now() - loadedAt > maxAgeMs ? await reload() : directory).byId(id);
      return held ?? (await reload()).byId(id);
    },

    /** Registers or updates a business; refuses a number or phone-number id another business already has. */
    async put(business: RegisteredBusiness): Promise<PutOutcome> {
      try {
        return await db.transaction(async (tx): Promise<PutOutcome> => {
          await tx.lock(['businesses']);
          const held = directoryOf(await tx.all<BusinessRow>(SELECT_ALL));
          for (const other of held.list()) {
            if (other.id === business.id) continue;
            if (other.whatsappNumber === business.whatsappNumber) return { ok: false, conflict: 'whatsapp_number', with: other.id };
            if (business.whatsappPhoneNumberId !== undefined && other.whatsappPhoneNumberId === business.whatsappPhoneNumberId) {
              return { ok: false, conflict: 'whatsapp_phone_number_id', with: other.id };
            }
          }
          const created = held.byId(business.id) === undefined;
          const unchanged = JSON.stringify(held.byId(business.id)) === JSON.stringify(business);
          if (!unchanged) {
            await tx.run(
              `INSERT INTO businesses (id, name, whatsapp_number, whatsapp_phone_number_id, updated_at) VALUES (?, ?, ?, ?, ?)
               ON CONFLICT (id) DO UPDATE SET name = excluded.name, whatsapp_number = excluded.whatsapp_number,
                 whatsapp_phone_number_id = excluded.whatsapp_phone_number_id, updated_at = excluded.updated_at`,
              [business.id, business.name, business.whatsappNumber, business.whatsappPhoneNumberId ?? null, now().toISOString()],
            );
            await operators.record(tx, created ? 'business_registered' : 'business_updated', business.id, { ...business });
          }
          await claimLegacyConsents(tx, business);
          return { ok: true, created };
        });
      } finally {
        await reload();
      }
    },
  };
}

export type BusinessRegistry = ReturnType<typeof createBusinessRegistry>;
