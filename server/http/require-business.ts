import type { RegisteredBusiness } from '../businesses/registered-business.ts';
import type { Store } from '../store/store.ts';
import { ApiFailure } from './api-failure.ts';

/** The registered business a request names, or 404: every state, check, erasure and audit of a subject names one. */
export async function requireBusiness(store: Store, businessId: string): Promise<RegisteredBusiness> {
  const business = await store.businesses.find(businessId);
  if (!business) throw new ApiFailure('not_found', `No business "${businessId}" is registered.`);
  return business;
}
