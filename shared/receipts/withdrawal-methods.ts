import type { ReceiptFacts } from './receipt-facts.ts';

export type WithdrawalMethod = { method: 'kiosk' | 'whatsapp' | 'controller'; description: string; at?: string };

/**
 * How the person can withdraw, as the product lets them: the stop screen of the business's terminals; for
 * marketing, WhatsApp's own stop control, which WhatsApp reports to the consent API; and the controller's contact.
 * The signed notice text says what the person was told at the time.
 */
export function withdrawalMethods({ event, controller }: ReceiptFacts): WithdrawalMethod[] {
  const methods: WithdrawalMethod[] = [
    { method: 'kiosk', description: `On a ${event.business.name} terminal that offers WhatsApp messages, choose “Stop WhatsApp messages”.` },
  ];
  if (event.purpose.category === 'marketing') {
    methods.push({ method: 'whatsapp', description: `In WhatsApp, stop marketing messages from ${event.business.name} (${event.business.whatsappNumber}).` });
  }
  methods.push({
    method: 'controller',
    description: `Write to ${controller.contact}, ${controller.legalName}, at ${controller.email} or call ${controller.phone}.`,
    at: `mailto:${controller.email}`,
  });
  return methods;
}
