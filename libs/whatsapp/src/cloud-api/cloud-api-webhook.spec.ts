import { createHmac } from 'node:crypto';
import { parsePriceList, parseStatusWebhook, signWebhookBody, verifyWebhookSignature, webhookPhoneNumberIds } from './cloud-api-webhook';

const SECRET = 'app-secret-123';

function statusPayload(phoneNumberId: string, statuses: unknown[]): unknown {
  return {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: '102290129340398',
        changes: [
          {
            field: 'messages',
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: '15550783881', phone_number_id: phoneNumberId },
              statuses,
            },
          },
        ],
      },
    ],
  };
}

describe('verifyWebhookSignature', () => {
  const body = Buffer.from('{"object":"whatsapp_business_account","entry":[]}');

  it('accepts the HMAC-SHA256 of the raw body with the app secret, in either hex case', () => {
    const signature = `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;
    expect(signWebhookBody(body, SECRET)).toBe(signature);
    expect(verifyWebhookSignature(body, signature, SECRET)).toBe(true);
    expect(verifyWebhookSignature(body, `sha256=${signature.slice(7).toUpperCase()}`, SECRET)).toBe(true);
  });

  it('refuses a missing, malformed or wrong signature', () => {
    const signature = signWebhookBody(body, SECRET);
    expect(verifyWebhookSignature(body, undefined, SECRET)).toBe(false);
    expect(verifyWebhookSignature(body, '', SECRET)).toBe(false);
    expect(verifyWebhookSignature(body, signature.slice(7), SECRET)).toBe(false);
    expect(verifyWebhookSignature(body, 'sha256=abc', SECRET)).toBe(false);
    expect(verifyWebhookSignature(body, signWebhookBody(body, 'another-secret'), SECRET)).toBe(false);
    expect(verifyWebhookSignature(body, signature, '')).toBe(false);
  });

  it('refuses a signature of the same JSON serialised differently (the raw bytes count)', () => {
    const reformatted = Buffer.from(JSON.stringify(JSON.parse(body.toString()), null, 2));
    expect(verifyWebhookSignature(reformatted, signWebhookBody(body, SECRET), SECRET)).toBe(false);
  });
});

describe('parseStatusWebhook', () => {
  it('reads sent, delivered, read and failed statuses with timestamps and recipient', () => {
    const batches = parseStatusWebhook(
      statusPayload('106540352242922', [
        { id: 'wamid.A', status: 'sent', timestamp: '1700000000', recipient_id: '2348179803743' },
        { id: 'wamid.A', status: 'delivered', timestamp: '1700000005', recipient_id: '2348179803743' },
        { id: 'wamid.B', status: 'read', timestamp: '1700000009', recipient_id: '2348000000001' },
      ]),
    );
    expect(batches).toEqual([
      {
        phoneNumberId: '106540352242922',
        updates: [
          { providerMessageId: 'wamid.A', status: 'sent', timestamp: new Date(1700000000_000), recipient: '2348179803743' },
          { providerMessageId: 'wamid.A', status: 'delivered', timestamp: new Date(1700000005_000), recipient: '2348179803743' },
          { providerMessageId: 'wamid.B', status: 'read', timestamp: new Date(1700000009_000), recipient: '2348000000001' },
        ],
      },
    ]);
  });

  it('keeps the code and details of a failed status', () => {
    const [batch] = parseStatusWebhook(
      statusPayload('1', [
        {
          id: 'wamid.F',
          status: 'failed',
          timestamp: '1700000000',
          recipient_id: '2348179803743',
          errors: [
            { code: 131026, title: 'Message undeliverable', message: 'Message undeliverable', error_data: { details: 'Receiver is incapable of receiving this message' } },
          ],
        },
      ]),
    );
    expect(batch.updates[0].error).toEqual({ code: '131026', message: 'Message undeliverable: Receiver is incapable of receiving this message' });
  });

  it('prices billable statuses from the price list and makes free ones cost nothing', () => {
    const prices = parsePriceList('marketing=6.04, utility=0.77');
    const [batch] = parseStatusWebhook(
      statusPayload('1', [
        { id: 'm1', status: 'sent', timestamp: '1', pricing: { billable: true, pricing_model: 'PMP', category: 'marketing' } },
        { id: 'm2', status: 'sent', timestamp: '1', pricing: { billable: true, pricing_model: 'CBP', category: 'UTILITY' } },
        { id: 'm3', status: 'sent', timestamp: '1', pricing: { billable: false, pricing_model: 'CBP', category: 'service' } },
        { id: 'm4', status: 'sent', timestamp: '1', pricing: { billable: true, pricing_model: 'PMP', type: 'free_customer_service', category: 'service' } },
        { id: 'm5', status: 'sent', timestamp: '1', pricing: { billable: true, pricing_model: 'PMP', category: 'authentication' } },
        { id: 'm6', status: 'delivered', timestamp: '1' },
      ]),
      prices,
    );
    expect(batch.updates.map((update) => update.costInUsdCents)).toEqual([6.04, 0.77, 0, 0, undefined, undefined]);
  });

  it('groups by sender number across entries and changes, skipping messages, unknown statuses and malformed items', () => {
    const payload = {
      object: 'whatsapp_business_account',
      entry: [
        {
          changes: [
            { value: { metadata: { phone_number_id: 'A' }, statuses: [{ id: 'w1', status: 'delivered', timestamp: '5' }] } },
            { value: { metadata: { phone_number_id: 'A' }, messages: [{ from: '234', id: 'wamid.in', type: 'text', text: { body: 'hi' } }] } },
          ],
        },
        {
          changes: [
            {
              value: {
                metadata: { phone_number_id: 'B' },
                statuses: [
                  { id: 'w2', status: 'played', timestamp: '5' },
                  { status: 'read', timestamp: '5' },
                  null,
                  'junk',
                  { id: 'w3', status: 'read', timestamp: 'not-a-number' },
                ],
              },
            },
          ],
        },
        'junk',
        { changes: 'junk' },
      ],
    };
    const batches = parseStatusWebhook(payload);
    expect(batches.map(({ phoneNumberId, updates }) => [phoneNumberId, updates.map((update) => update.providerMessageId)])).toEqual([
      ['A', ['w1']],
      ['B', ['w3']],
    ]);
    expect(batches[1].updates[0].timestamp).toBeInstanceOf(Date);
    expect(webhookPhoneNumberIds(payload)).toEqual(['A', 'B']);
  });

  it('answers nothing for payloads that are not Cloud API webhooks', () => {
    for (const payload of [null, 'text', 42, [], {}, { entry: 'x' }, { entry: [{ changes: [{ value: { statuses: [] } }] }] }]) {
      expect(parseStatusWebhook(payload)).toEqual([]);
    }
  });
});

describe('parsePriceList', () => {
  it('reads category=cents pairs and refuses anything else, naming it', () => {
    expect(parsePriceList('')).toEqual({});
    expect(parsePriceList('marketing=6.04,service=0')).toEqual({ marketing: 6.04, service: 0 });
    expect(() => parsePriceList('marketing=cheap')).toThrow('"marketing=cheap" is not category=cents');
  });
});
