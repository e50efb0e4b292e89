import { z } from 'zod';
import { Business } from '../../shared/contract/profile.ts';

/**
 * A business the API collects consent for: the profile's business (id, name, WhatsApp number) and, when known, the
 * WhatsApp Cloud API phone-number id its webhooks name in `metadata.phone_number_id`.
 */
export const RegisteredBusiness = Business.extend({
  whatsappPhoneNumberId: z.string().regex(/^\d{1,32}$/, 'must be the digits of a WhatsApp phone-number id').optional(),
}).strict();
export type RegisteredBusiness = z.infer<typeof RegisteredBusiness>;
