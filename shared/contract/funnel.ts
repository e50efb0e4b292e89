import { z } from 'zod';
import { Locale, Slug } from './primitives.ts';

/** Declines and timeouts are not consent events: they are only counted, with no personal data. */
export const FunnelOutcome = z.enum(['shown', 'accepted', 'declined', 'timed_out']);
export type FunnelOutcome = z.infer<typeof FunnelOutcome>;

export const FunnelReport = z
  .object({
    flowId: Slug,
    purposeIds: z.array(Slug).max(20),
    locale: Locale,
    outcome: FunnelOutcome.exclude(['accepted']),
  })
  .strict();
export type FunnelReport = z.infer<typeof FunnelReport>;

export const FunnelCount = z.object({
  day: z.iso.date(),
  flowId: Slug,
  /** '' counts a report that named no purpose: a flow left before its purposes showed. */
  purposeId: Slug.or(z.literal('')),
  locale: Locale,
  outcome: FunnelOutcome,
  count: z.number().int().min(0),
});
export type FunnelCount = z.infer<typeof FunnelCount>;
