import { z } from 'zod';
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
