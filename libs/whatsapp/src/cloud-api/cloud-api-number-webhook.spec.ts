import { parseNumberQualityWebhook } from './cloud-api-number-webhook';

const webhook = (field: string, value: Record<string, unknown>, time?: number) => ({
  object: 'whatsapp_business_account',
  entry: [{ id: '102290129340398', ...(time === undefined ? {} : { time }), changes: [{ field, value }] }],
});

describe('parseNumberQualityWebhook', () => {
  it('reads a quality update with its tier or its per-business figure', () => {
    expect(parseNumberQualityWebhook(webhook('phone_number_quality_update', { display_phone_number: '+1 555-078-3881', event: 'FLAGGED', current_limit: 'TIER_2K' }, 1700000000))).toEqual([
      { wabaId: '102290129340398', phoneNumber: '15550783881', event: 'FLAGGED', messagingLimit: 2000, time: 1700000000 },
    ]);
    expect(parseNumberQualityWebhook(webhook('phone_number_quality_update', { display_phone_number: '15550783881', event: 'upgrade', max_daily_conversations_per_business: 10000 }))[0]).toMatchObject({
      event: 'UPGRADE',
      messagingLimit: 10000,
    });
    expect(parseNumberQualityWebhook(webhook('phone_number_quality_update', { display_phone_number: '15550783881', event: 'UNFLAGGED', current_limit: 'TIER_UNLIMITED' }))[0].messagingLimit).toBeNull();
  });

  it('reads a capability update as the portfolio’s limit, and skips what it does not know', () => {
    expect(parseNumberQualityWebhook(webhook('business_capability_update', { max_daily_conversations_per_business: 250 }))).toEqual([
      { wabaId: '102290129340398', phoneNumber: null, event: null, messagingLimit: 250, time: null },
    ]);
    expect(parseNumberQualityWebhook(webhook('business_capability_update', { max_phone_numbers_per_business: 2 }))).toEqual([]);
    expect(parseNumberQualityWebhook(webhook('message_template_status_update', { event: 'APPROVED' }))).toEqual([]);
    expect(parseNumberQualityWebhook({ entry: 'x' })).toEqual([]);
  });
});
