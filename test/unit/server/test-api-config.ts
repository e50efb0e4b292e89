/** How every test API is configured (no vitest here: test/fixtures/main-database/make.ts runs outside it). */
import { SAKURA_BANK, SORA_AIRLINES } from './test-kiosk.ts';

export const ADMIN_TOKEN = 'admin-token-for-tests-0123456789';
export const WEBHOOK_APP_SECRET = 'whatsapp-app-secret-for-tests';
export const WEBHOOK_VERIFY_TOKEN = 'verify-token-for-tests';

/** The businesses every test API knows, with the phone-number ids their webhooks name. */
export const TEST_BUSINESSES = [
  { ...SAKURA_BANK, whatsappPhoneNumberId: '106540352242922' },
  { ...SORA_AIRLINES, whatsappPhoneNumberId: '106540352242933' },
];
