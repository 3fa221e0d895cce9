import type { MessageTemplateRecord } from './template.schema';

/** A catalogue entry as the API shows it (the sandbox's planned review outcome stays inside). */
export type TemplateView = Omit<MessageTemplateRecord, 'review_outcome' | 'client_events'>;

export function templateView({ review_outcome: _outcome, client_events: _outbox, ...template }: MessageTemplateRecord): TemplateView {
  return template;
}

export const TEMPLATE_EXAMPLE = {
  _id: '6571c0d2e4b0a1a2c27fbd01',
  client_id: '649ff7e0e6046617c8aeabf0',
  account: 'waba:102290129340398',
  template_id: '1407680676729941',
  name: 'order_update',
  language: 'en_US',
  status: 'APPROVED',
  category: 'UTILITY',
  components: [
    { type: 'BODY', text: 'Hi {{1}}, your order {{2}} has shipped and is on its way.', example: { body_text: [['Ada', '#1042']] } },
    { type: 'FOOTER', text: 'Reply STOP to opt out' },
  ],
  parameter_format: null,
  quality_score: 'GREEN',
  rejected_reason: null,
  previous_category: null,
  synced_at: '2026-12-07T10:00:00.000Z',
  createdAt: '2026-12-07T10:00:00.000Z',
  updatedAt: '2026-12-07T10:00:00.000Z',
  __v: 0,
};
