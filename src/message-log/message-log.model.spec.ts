import { API_REQUEST_LOG_INDEXES } from './api-request-log.repository';
import { CONTACT_MESSAGES_INDEXES } from './contact-messages.repository';
import { MESSAGE_LOG_LIST_INDEXES } from './message-log-list.repository';
import { MESSAGE_LOG_MODEL } from './message-log.module';

describe('MESSAGE_LOG_MODEL (the ledger collection)', () => {
  const declared = MESSAGE_LOG_MODEL.schema.indexes().map(([keys, options]) => ({ keys, unique: options?.unique === true }));

  it.each([
    ['seed 000 (MessageLogListRepository)', MESSAGE_LOG_LIST_INDEXES],
    ['seed 003 (ContactMessagesRepository)', CONTACT_MESSAGES_INDEXES],
    ['seed 004 (ApiRequestLogRepository)', API_REQUEST_LOG_INDEXES],
  ])("carries the indexes the %s view declares next to its query, once each", (_view, indexes) => {
    for (const { keys } of indexes) expect(declared.filter((index) => JSON.stringify(index.keys) === JSON.stringify(keys))).toHaveLength(1);
  });

  it('keeps message_uid unique: one entry per logical message', () => {
    expect(declared).toContainEqual({ keys: { message_uid: 1 }, unique: true });
  });
});
