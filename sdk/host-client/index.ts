/** The typed client a bank's or an airline's application embeds to offer the kiosk's opt-in step (README.md). */
export { HostApiError, HostApiRefused, HostClient, type ConnectOptions, type OfferResult } from './host-client.ts';
export type {
  BeginSessionPayload,
  DegradedReason,
  DisplayModel,
  HeadphonesPayload,
  HostEvent,
  HostUnsolicited,
  OfferOutcome,
  OfferPayload,
  OfferRecord,
  StatusReport,
} from '../../shared/contract/host-api.ts';
