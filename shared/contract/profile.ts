import { z } from 'zod';
import { Brand } from './brand.ts';
import { EntryPoint } from './consent-event.ts';
import { DisplayModel } from './host-api.ts';
import { E164, Locale, Placement, PurposeCategory, Slug, Text } from './primitives.ts';

const LocalisedText = z.partialRecord(Locale, Text(1, 200));

/** One kind of message a person may agree to receive; each is consented to on its own. */
export const PurposeDefinition = z.object({
  id: Slug,
  category: PurposeCategory,
  label: LocalisedText,
});
export type PurposeDefinition = z.infer<typeof PurposeDefinition>;

/**
 * The legal wording belongs to the business, so it lives in the profile with a version id. Templates are ICU
 * messages with the arguments {business}, {number} (the business's WhatsApp number), {purposes} and {recipient}
 * (the customer's number as shown: masked when the host verified it; recorded as the placeholder itself,
 * shared/wording.ts). `howToStop` (arguments {business}, {number}) is the receipt's "how to stop" line: the
 * business's STOP keyword and its other ways out; without it the receipt says "reply STOP".
 */
export const NoticeDefinition = z.object({
  id: Slug,
  version: Text(1, 32),
  locale: Locale,
  optIn: Text(1, 1000),
  optOut: Text(1, 1000),
  howToStop: Text(1, 500).optional(),
});
export type NoticeDefinition = z.infer<typeof NoticeDefinition>;

/** The business a consent is given to; `id` is how the API scopes every state and check. */
export const Business = z.object({
  id: Slug,
  name: Text(1, 100),
  whatsappNumber: E164,
});
export type Business = z.infer<typeof Business>;

const CountryCode = z.string().regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 country code');

/** The part of a provisioning profile that decides what a consent says. */
export const ConsentTerms = z.object({
  business: Business,
  channel: Slug,
  defaultCountry: CountryCode,
  /** The countries whose numbers the business's customers mostly have: listed first by the country picker. */
  countries: z.array(CountryCode).max(12).optional(),
  purposes: z.array(PurposeDefinition).min(1).max(20),
  notices: z.array(NoticeDefinition).min(1).max(20),
});
export type ConsentTerms = z.infer<typeof ConsentTerms>;

const HttpsUrl = z.url({ protocol: /^https$/, hostname: z.regexes.domain, error: 'must be an https URL' });

/** Years, months, weeks and days only: how long a controller keeps data is never a matter of hours. */
const IsoDuration = z
  .string()
  .regex(/^P(?=\d)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?$/, 'must be an ISO 8601 duration in years, months, weeks or days, such as P5Y');

/** schema.org PostalAddress, the shape Kantara's receipt and the DPV guide to ISO/IEC TS 27560 both use. */
export const PostalAddress = z
  .object({
    streetAddress: Text(1, 200),
    addressLocality: Text(1, 100),
    addressRegion: Text(1, 100).optional(),
    postalCode: Text(1, 20),
    addressCountry: CountryCode,
  })
  .strict();
export type PostalAddress = z.infer<typeof PostalAddress>;

/**
 * Who is accountable for the consents a flow collects, as a consent receipt must name them (Kantara Consent Receipt
 * 1.1, ISO/IEC TS 27560): the legal entity behind the business, how to reach it, its privacy policy, the
 * jurisdictions whose law applies, where it stores the records and for how long after a consent ends, and who else
 * receives the number (WhatsApp at least). docs/receipts.md maps each field.
 */
export const DataController = z
  .object({
    legalName: Text(1, 200),
    /** The office or role a person writes to about their data, e.g. the data protection officer. */
    contact: Text(1, 200),
    address: PostalAddress,
    email: z.email('must be an email address'),
    phone: E164,
    url: HttpsUrl.optional(),
    policyUrl: HttpsUrl,
    jurisdictions: z.array(CountryCode).min(1).max(10),
    storageLocations: z.array(CountryCode).min(1).max(10),
    /** How long the controller keeps a consent record and its personal data after the consent ends. */
    retention: IsoDuration,
    recipients: z
      .array(z.object({ name: Text(1, 200), role: z.enum(['processor', 'third_party']) }).strict())
      .min(1)
      .max(10),
  })
  .strict();
export type DataController = z.infer<typeof DataController>;

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
  entryPoint: EntryPoint,
  verifiedSubject: VerifiedSubjectSource,
  dataController: DataController,
  /** The business's look while its step is on screen; the kiosk's own when absent (shared/contract/brand.ts). */
  brand: Brand.optional(),
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
    version: Text(1, 32),
    /** Where the terminals this profile is for stand; a terminal's own id can come from its local configuration. */
    placement: Placement.optional(),
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
