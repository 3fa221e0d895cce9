import { WhatsappLogSchema } from './whatsapp-log.schema';

describe('WhatsappLogSchema', () => {
  const indexedFields = WhatsappLogSchema.indexes().map(([fields]) => Object.keys(fields));

  it.each(['toNumber', 'fromNumber', 'status', 'createdAt'])("indexes %s within the client's logs", (field) => {
    expect(indexedFields).toContainEqual(['projectId', field]);
  });

  it('indexes the provider message id, which webhooks look logs up by', () => {
    expect(indexedFields).toContainEqual(['whatsAppMessageId']);
  });

  it('stores relation ids as ObjectIds, casting hex strings', () => {
    for (const field of ['projectId', 'incidentId', 'messageLogId', 'broadcastId', 'sessionId']) {
      expect(WhatsappLogSchema.path(field).instance).toBe('ObjectId');
    }
  });
});
