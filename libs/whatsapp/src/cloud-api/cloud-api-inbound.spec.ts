import { parseInboundWebhook } from './cloud-api-inbound';

const webhook = (messages: unknown[], contacts: unknown[] = [], phoneNumberId = '111') => ({
  object: 'whatsapp_business_account',
  entry: [{ id: 'waba', changes: [{ field: 'messages', value: { metadata: { phone_number_id: phoneNumberId }, contacts, messages } }] }],
});

describe('parseInboundWebhook', () => {
  it('reads a text with the sender profile name, grouped by phone_number_id', () => {
    const [batch] = parseInboundWebhook(
      webhook([{ from: '2348179803743', id: 'wamid.1', timestamp: '1700000000', type: 'text', text: { body: 'Hi' }, context: { id: 'wamid.ours' } }], [
        { wa_id: '2348179803743', profile: { name: 'Ada' } },
      ]),
    );
    expect(batch).toEqual({
      phoneNumberId: '111',
      messages: [
        {
          providerMessageId: 'wamid.1',
          from: '2348179803743',
          timestamp: new Date(1700000000_000),
          profileName: 'Ada',
          type: 'text',
          text: 'Hi',
          media: null,
          location: null,
          contacts: null,
          reply: null,
          reaction: null,
          replyTo: 'wamid.ours',
        },
      ],
    });
  });

  it('reads media (with caption and file name), location, replies and reactions', () => {
    const [batch] = parseInboundWebhook(
      webhook([
        { from: '1', id: 'a', timestamp: '1', type: 'document', document: { id: 'm1', mime_type: 'application/pdf', filename: 'invoice.pdf', caption: 'here' } },
        { from: '1', id: 'b', timestamp: '1', type: 'sticker', sticker: { id: 'm2', mime_type: 'image/webp' } },
        { from: '1', id: 'c', timestamp: '1', type: 'location', location: { latitude: '6.5', longitude: 3.3 } },
        { from: '1', id: 'd', timestamp: '1', type: 'button', button: { text: 'Stop promotions', payload: 'STOP_PROMO' } },
        { from: '1', id: 'e', timestamp: '1', type: 'reaction', reaction: { message_id: 'wamid.x', emoji: '' } },
      ]),
    );
    const [document, sticker, location, button, reaction] = batch.messages;
    expect(document.media).toEqual({ kind: 'document', id: 'm1', mimeType: 'application/pdf', caption: 'here', fileName: 'invoice.pdf' });
    expect(document.text).toBe('here');
    expect(sticker.media).toMatchObject({ kind: 'sticker', id: 'm2' });
    expect(location.location).toEqual({ latitude: 6.5, longitude: 3.3, name: null, address: null });
    expect(button).toMatchObject({ text: 'Stop promotions', reply: { kind: 'quick_reply', id: 'STOP_PROMO', title: 'Stop promotions' } });
    // An empty emoji is a removed reaction.
    expect(reaction).toMatchObject({ text: null, reaction: { messageId: 'wamid.x', emoji: null } });
  });

  it('keeps unknown types as unsupported and skips malformed items without losing the others', () => {
    const [batch] = parseInboundWebhook(
      webhook([
        { from: '1', id: 'ok', timestamp: '1', type: 'order', order: {} },
        { id: 'no-sender', type: 'text', text: { body: 'x' } },
        { from: '1', type: 'text' },
        { from: '1', id: 'image-without-id', type: 'image', image: {} },
        'junk',
      ]),
    );
    expect(batch.messages.map((message) => [message.providerMessageId, message.type])).toEqual([['ok', 'unsupported']]);
    expect(parseInboundWebhook({ entry: 'nope' })).toEqual([]);
    expect(parseInboundWebhook([1, 2])).toEqual([]);
  });

  it('ignores status-only changes', () => {
    const payload = { entry: [{ changes: [{ value: { metadata: { phone_number_id: '111' }, statuses: [{ id: 'w', status: 'read' }] } }] }] };
    expect(parseInboundWebhook(payload)).toEqual([]);
  });
});
