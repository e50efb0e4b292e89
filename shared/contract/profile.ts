import { z } from 'zod';
import { DisplayModel } from './host-api.ts';
import { E164, Locale, PurposeCategory, Slug } from './primitives.ts';

const LocalisedText = z.partialRecord(Locale, z.string().min(1).max(200));

/** One kind of message a person may agree to receive; each is consented to on its own. */
export const PurposeDefinition = z.object({
  id: Slug,
  category: PurposeCategory,
  label: LocalisedText,
});
export type PurposeDefinition = z.infer<typeof PurposeDefinition>;

/**
 * The legal wording belongs to the business, so it lives in the profile with a version id. Templates are ICU
 * messages with the arguments {business}, {number} and {purposes}.
 */
export const NoticeDefinition = z.object({
  id: Slug,
  version: z.string().min(1).max(32),
  locale: Locale,
  optIn: z.string().min(1).max(1000),
  optOut: z.string().min(1).max(1000),
});
export type NoticeDefinition = z.infer<typeof NoticeDefinition>;

export const Business = z.object({
  name: z.string().min(1).max(100),
  whatsappNumber: E164,
});
export type Business = z.infer<typeof Business>;

/** The part of a provisioning profile that decides what a consent says. */
export const ConsentTerms = z.object({
  business: Business,
  channel: Slug,
  defaultCountry: z.string().regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 country code'),
  purposes: z.array(PurposeDefinition).min(1).max(20),
  notices: z.array(NoticeDefinition).min(1).max(20),
});
export type ConsentTerms = z.infer<typeof ConsentTerms>;

/**
 * Whether the flow takes a number the host application verified (OptIn.BeginSession's verifiedSubject), shown
 * masked with "Use a different number", or always has the person type one.
 */
export const VerifiedSubjectSource = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('none') }).strict(),
  z.object({ kind: z.literal('integration') }).strict(),
]);

export const Flow = ConsentTerms.extend({
  id: Slug,
  title: LocalisedText,
  entryPoint: z.string().regex(/^[a-z0-9_]+(\.[a-z0-9_]+)+$/, 'must look like "atm.after_transaction"'),
  verifiedSubject: VerifiedSubjectSource,
}).strict();
export type Flow = z.infer<typeof Flow>;

/** How the terminal's own application and the kiosk share the screen (docs/host-integration.md). */
export const HostIntegration = z
  .object({
    displayModel: DisplayModel,
    /** Development only: the example host application `npm start` runs beside the kiosk. */
    demoHost: z.enum(['atm-host', 'checkin-host']).optional(),
  })
  .strict();
export type HostIntegration = z.infer<typeof HostIntegration>;

/** A provisioning profile: what a terminal shows and in which languages. */
export const Profile = z
  .object({
    schema: z.literal(1),
    id: Slug,
    version: z.string().min(1).max(32),
    defaultLocale: Locale,
    locales: z.array(Locale).min(1),
    idle: z
      .object({
        // WCAG 2.2.1: the warning must leave at least 20 seconds to ask for more time.
        timeoutSeconds: z.number().int().min(20).max(600),
        warningSeconds: z.number().int().min(20).max(120),
      })
      .strict(),
    hostIntegration: HostIntegration.default({ displayModel: 'transfer' }),
    flows: z.array(Flow).min(1).max(20),
  })
  .strict();
export type Profile = z.infer<typeof Profile>;
