import { describe, expect, it } from 'vitest';
import { kantaraSchemaValidator } from './kantara-schema.ts';
import { exportedReceipts } from './signed-export.ts';

const validate = kantaraSchemaValidator();

const DPV_PURPOSE = 'https://w3id.org/dpv#';

describe('Kantara Consent Receipt 1.1 view', () => {
  it.each([
    ['with personal data', { personalData: true, erased: [1] }],
    ['without personal data', { personalData: false }],
  ])('validates every exported receipt against the published schema, %s', async (_name, options) => {
    const { receipts } = await exportedReceipts(options);
    expect(receipts).toHaveLength(7);
    for (const receipt of receipts) {
      const valid = validate(receipt.kantara);
      expect(validate.errors ?? [], `receipt for ${receipt.signedEvent.id}`).toEqual([]);
      expect(valid).toBe(true);
    }
  });

  it('fills every required field from the profile: jurisdiction, policy URL, the controller and how to reach it', async () => {
    const { receipts } = await exportedReceipts({ personalData: false });
    const bank = receipts.find((receipt) => receipt.signedEvent.flowId === 'atm')!.kantara;
    expect(bank).toMatchObject({
      version: 'KI-CR-v1.1.0',
      jurisdiction: 'JP',
      policyUrl: 'https://sakura-bank.example/privacy/whatsapp',
      piiControllers: [
        {
          piiController: 'Sakura Bank, Ltd. (demo)',
          contact: 'Data Protection Office (demo)',
          address: { streetAddress: '1-2-3 Sakura-dori (demo address)', addressLocality: 'Chiyoda-ku', addressCountry: 'JP' },
          email: 'privacy@sakura-bank.example',
          phone: '+81312340000',
          onBehalf: false,
        },
      ],
    });
    const airline = receipts.find((receipt) => receipt.signedEvent.flowId === 'airline')!.kantara;
    expect(airline.piiControllers[0]).toMatchObject({ piiController: 'Sora Airlines Co., Ltd. (demo)', email: 'privacy@sora-airlines.example' });
  });

  it('refuses, by the same schema, a receipt missing what the old receipts left out', async () => {
    const [receipt] = (await exportedReceipts({ personalData: false })).receipts;
    const kantara = structuredClone(receipt!.kantara) as Record<string, unknown> & { piiControllers: Array<Record<string, unknown>> };
    for (const field of ['jurisdiction', 'policyUrl']) {
      expect(validate({ ...kantara, [field]: null }), field).toBe(false);
    }
    for (const field of ['address', 'email']) {
      const { [field]: _left, ...controller } = kantara.piiControllers[0]!;
      expect(validate({ ...kantara, piiControllers: [controller] }), field).toBe(false);
    }
  });

  it('names purposes by W3C DPV purpose: service provision by communication for alerts, direct marketing for offers', async () => {
    const { receipts } = await exportedReceipts({ personalData: false });
    const categoryOf = (purposeId: string) =>
      receipts.find((receipt) => receipt.signedEvent.purpose.id === purposeId)!.kantara.services[0]!.purposes[0]!.purposeCategory;
    const service = [`${DPV_PURPOSE}ServiceProvision`, `${DPV_PURPOSE}CommunicationManagement`];
    expect(categoryOf('balance_alerts')).toEqual(service);
    expect(categoryOf('gate_changes')).toEqual(service);
    expect(categoryOf('offers')).toEqual([`${DPV_PURPOSE}DirectMarketing`]);
  });

  it('records an opt-out as a withdrawal that no Kantara reader can take for a consent', async () => {
    const { receipts } = await exportedReceipts({ personalData: false });
    for (const receipt of receipts) {
      const [purpose] = receipt.kantara.services[0]!.purposes;
      if (receipt.signedEvent.kind === 'opt_out') {
        expect(purpose!.consentType).toBe('WITHDRAWN');
        expect(purpose!.termination).toMatch(/^Withdrawn by the PII principal at /);
      } else {
        expect(purpose!.consentType).toBe('EXPLICIT');
        expect(purpose!.termination).toMatch(/^Until the PII principal withdraws it/);
      }
    }
  });
});
