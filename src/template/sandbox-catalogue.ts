import type { CatalogueTemplate } from './template.repository';

/** A sandbox template whose name holds this is REJECTED at the end of its review (to try that path). */
export const SANDBOX_REJECT_MARKER = 'reject';
export const SANDBOX_REJECTED_REASON = 'INVALID_FORMAT';

/** The review outcome the sandbox gives a template it is asked to create. */
export function sandboxReviewOutcome(name: string): 'APPROVED' | 'REJECTED' {
  return name.includes(SANDBOX_REJECT_MARKER) ? 'REJECTED' : 'APPROVED';
}

/**
 * What a sandbox session's catalogue starts with, all APPROVED: Meta's own `hello_world` (every
 * new Business Account has it) and one template per kind of parameter a send must give, so that
 * the README's and Swagger's examples work on a fresh local session.
 */
export const SANDBOX_STARTER_TEMPLATES: readonly Omit<CatalogueTemplate, 'templateId'>[] = [
  {
    name: 'hello_world',
    language: 'en_US',
    status: 'APPROVED',
    category: 'UTILITY',
    components: [
      { type: 'HEADER', format: 'TEXT', text: 'Hello World' },
      {
        type: 'BODY',
        text: 'Welcome and congratulations!! This message demonstrates your ability to send a WhatsApp message notification from the Cloud API, hosted by Meta. Thank you for taking the time to test with us.',
      },
      { type: 'FOOTER', text: 'WhatsApp Business Platform sample message' },
    ],
    parameterFormat: null,
    qualityScore: 'UNKNOWN',
    rejectedReason: null,
  },
  {
    name: 'order_update',
    language: 'en_US',
    status: 'APPROVED',
    category: 'UTILITY',
    components: [
      { type: 'BODY', text: 'Hi {{1}}, your order {{2}} has shipped and is on its way.', example: { body_text: [['Ada', '#1042']] } },
      { type: 'FOOTER', text: 'Reply STOP to opt out' },
    ],
    parameterFormat: null,
    qualityScore: 'UNKNOWN',
    rejectedReason: null,
  },
  {
    name: 'seasonal_promo',
    language: 'en_US',
    status: 'APPROVED',
    category: 'MARKETING',
    components: [
      { type: 'HEADER', format: 'IMAGE', example: { header_handle: ['https://example.com/sale.jpg'] } },
      { type: 'BODY', text: 'Hi {{1}}, our {{2}} sale is on: {{3}} off everything.', example: { body_text: [['Ada', 'summer', '20%']] } },
      {
        type: 'BUTTONS',
        buttons: [
          { type: 'URL', text: 'Shop now', url: 'https://shop.example.com/sale/{{1}}', example: ['https://shop.example.com/sale/summer'] },
          { type: 'QUICK_REPLY', text: 'Stop promotions' },
        ],
      },
    ],
    parameterFormat: null,
    qualityScore: 'UNKNOWN',
    rejectedReason: null,
  },
  {
    name: 'login_code',
    language: 'en_US',
    status: 'APPROVED',
    category: 'AUTHENTICATION',
    components: [
      { type: 'BODY', text: '{{1}} is your verification code.' },
      { type: 'BUTTONS', buttons: [{ type: 'OTP', text: 'Copy code' }] },
    ],
    parameterFormat: null,
    qualityScore: 'UNKNOWN',
    rejectedReason: null,
  },
];
