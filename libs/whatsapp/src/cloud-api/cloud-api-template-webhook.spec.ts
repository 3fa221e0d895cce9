import { parseTemplateWebhook } from './cloud-api-template-webhook';

const payload = (field: string, value: unknown, id: unknown = '102290129340398') => ({ object: 'whatsapp_business_account', entry: [{ id, time: 1, changes: [{ field, value }] }] });

describe('parseTemplateWebhook', () => {
  it('reads status, quality and category updates, naming the account and the template', () => {
    expect(
      parseTemplateWebhook(
        payload('message_template_status_update', { event: 'REJECTED', message_template_id: 1407680676729941, message_template_name: 'order_update', message_template_language: 'en_US', reason: 'INVALID_FORMAT' }),
      ),
    ).toEqual([{ wabaId: '102290129340398', templateId: '1407680676729941', name: 'order_update', language: 'en_US', change: { kind: 'status', event: 'REJECTED', reason: 'INVALID_FORMAT' } }]);
    expect(parseTemplateWebhook(payload('message_template_quality_update', { previous_quality_score: 'GREEN', new_quality_score: 'RED', message_template_id: 5 }))[0].change).toEqual({
      kind: 'quality',
      previousScore: 'GREEN',
      newScore: 'RED',
    });
    expect(parseTemplateWebhook(payload('template_category_update', { previous_category: 'UTILITY', new_category: 'MARKETING', message_template_id: '5' }))[0].change).toEqual({
      kind: 'category',
      previousCategory: 'UTILITY',
      newCategory: 'MARKETING',
    });
  });

  it('skips messages webhooks, malformed items and templates named by nothing', () => {
    expect(parseTemplateWebhook(payload('messages', { statuses: [] }))).toEqual([]);
    expect(parseTemplateWebhook(payload('message_template_status_update', { event: 'APPROVED' }))).toEqual([]);
    expect(parseTemplateWebhook(payload('message_template_status_update', { message_template_id: 5 }))).toEqual([]);
    expect(parseTemplateWebhook(payload('message_template_status_update', { event: 'APPROVED', message_template_id: 5 }, { nested: true }))).toEqual([]);
    expect(parseTemplateWebhook('junk')).toEqual([]);
  });
});
