import { ApiFailure } from '../http/api-failure.ts';
import type { ProfileTarget, PublishedProfile } from '../../shared/contract/console.ts';
import type { VerifiedProfile } from '../../shared/signed-profile-check.ts';
import type { ApprovedNotice } from '../profiles/approved-notices.ts';
import type { OperatorLog } from './operator-log.ts';
import type { SqlDb } from './sql.ts';

export type Publication = { verified: VerifiedProfile; contentHash: string; notices: ApprovedNotice[]; targets: ProfileTarget[]; by: string };

type PublicationRow = {
  id: number | string;
  publishedAt: string;
  publishedBy: string;
  targetKind: ProfileTarget['kind'];
  target: string;
  revision: number | string;
  contentHash: string;
  profileId: string;
  profileVersion: string;
  expiresAt: string;
};

const COLUMNS = `CAST(id AS INTEGER) AS id, published_at AS "publishedAt", published_by AS "publishedBy", target_kind AS "targetKind", target,
  CAST(revision AS INTEGER) AS revision, content_hash AS "contentHash", profile_id AS "profileId", profile_version AS "profileVersion", expires_at AS "expiresAt"`;

const published = (row: PublicationRow): PublishedProfile => ({
  id: Number(row.id),
  publishedAt: row.publishedAt,
  publishedBy: row.publishedBy,
  target: { kind: row.targetKind, id: row.target },
  revision: Number(row.revision),
  contentHash: row.contentHash,
  profileId: row.profileId,
  profileVersion: row.profileVersion,
  expiresAt: row.expiresAt,
});

/**
 * The signed profiles an operator published, per site or device (append-only), the notice sentences they approve,
 * and the consent events whose sentence none approves. The signature was checked before anything comes here
 * (server/profiles/publish-profile.ts); the revision floor per target is checked here, inside the transaction.
 */
export function createProfilePublications(db: SqlDb, deps: { operators: OperatorLog; now: () => Date }) {
  /** The newest publication that applies to a device: its own or its site's, highest revision first. */
  const latestFor = (deviceId: string, siteId: string | null) =>
    db.get<PublicationRow & { signed: string }>(
      `SELECT ${COLUMNS}, signed FROM profile_publications
       WHERE (target_kind = 'device' AND target = ?) OR (target_kind = 'site' AND target = ?)
       ORDER BY revision DESC, id DESC LIMIT 1`,
      [deviceId, siteId ?? ''],
    );

  return {
    /** Stores one publication per target; a revision not above the one published for a target refuses them all. */
    publish: (publication: Publication): Promise<PublishedProfile[]> =>
      db.transaction(async (tx) => {
        const { verified, contentHash, targets, by } = publication;
        await tx.lock(targets.map((target) => `profile:${target.kind}:${target.id}`));
        const at = deps.now().toISOString();
        const rows: PublishedProfile[] = [];
        for (const target of targets) {
          const floor = await tx.value<number | string>('SELECT MAX(revision) FROM profile_publications WHERE target_kind = ? AND target = ?', [target.kind, target.id]);
          if (floor !== undefined && floor !== null && Number(floor) >= verified.revision) {
            throw new ApiFailure(
              'invalid_request',
              `Revision ${verified.revision} is not newer than revision ${Number(floor)} already published for ${target.kind} ${target.id}: sign the profile with a higher revision.`,
              { status: 409 },
            );
          }
          const row = await tx.get<PublicationRow>(
            `INSERT INTO profile_publications (published_at, published_by, target_kind, target, revision, content_hash, profile_id, profile_version, expires_at, signed)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING ${COLUMNS}`,
            [at, by, target.kind, target.id, verified.revision, contentHash, verified.profile.id, verified.profile.version, verified.expiresAt, JSON.stringify(verified.signed)],
          );
          for (const notice of publication.notices) {
            await tx.run('INSERT INTO approved_notices (text_hash, publication_id, notice_id, notice_version, locale) VALUES (?, ?, ?, ?, ?)', [
              notice.textHash, row!.id, notice.noticeId, notice.noticeVersion, notice.locale,
            ]);
          }
          await deps.operators.record(tx, 'profile_published', `${target.kind}:${target.id}`, { revision: verified.revision, contentHash, by });
          rows.push(published(row!));
        }
        return rows;
      }),

    /** What was published for a device (its own or its site's), newest revision; null when nothing, or only an expired one. */
    async forDevice(deviceId: string, siteId: string | null): Promise<(PublishedProfile & { signed: unknown }) | null> {
      const row = await latestFor(deviceId, siteId);
      if (!row || Date.parse(row.expiresAt) <= deps.now().getTime()) return null;
      return { ...published(row), signed: JSON.parse(row.signed) as unknown };
    },

    /** Newest first. */
    list: async (limit: number): Promise<PublishedProfile[]> =>
      (await db.all<PublicationRow>(`SELECT ${COLUMNS} FROM profile_publications ORDER BY id DESC LIMIT ?`, [limit])).map(published),

    /** Of `hashes`, those no publication approves. */
    async unapproved(hashes: readonly string[]): Promise<Set<string>> {
      const distinct = [...new Set(hashes)];
      if (distinct.length === 0) return new Set();
      const approved = await db.all<{ textHash: string }>(
        `SELECT DISTINCT text_hash AS "textHash" FROM approved_notices WHERE ${db.dialect.inList('text_hash')}`,
        [db.dialect.list(distinct)],
      );
      const known = new Set(approved.map((row) => row.textHash));
      return new Set(distinct.filter((hash) => !known.has(hash)));
    },

    async flag(deviceId: string, events: readonly { eventId: string; textHash: string }[]): Promise<void> {
      const at = deps.now().toISOString();
      for (const event of events) {
        await db.run('INSERT INTO notice_flags (event_id, device_id, text_hash, flagged_at) VALUES (?, ?, ?, ?) ON CONFLICT (event_id) DO NOTHING', [
          event.eventId, deviceId, event.textHash, at,
        ]);
      }
    },

    /** Of `eventIds`, those flagged. */
    async flagged(eventIds: readonly string[]): Promise<Set<string>> {
      if (eventIds.length === 0) return new Set();
      const rows = await db.all<{ eventId: string }>(`SELECT event_id AS "eventId" FROM notice_flags WHERE ${db.dialect.inList('event_id')}`, [db.dialect.list(eventIds)]);
      return new Set(rows.map((row) => row.eventId));
    },

    /** Flagged events per device, for the operator. */
    async flaggedByDevice(): Promise<Map<string, number>> {
      const rows = await db.all<{ deviceId: string; count: number | string }>('SELECT device_id AS "deviceId", COUNT(*) AS count FROM notice_flags GROUP BY device_id');
      return new Map(rows.map((row) => [row.deviceId, Number(row.count)]));
    },
  };
}

export type ProfilePublications = ReturnType<typeof createProfilePublications>;
