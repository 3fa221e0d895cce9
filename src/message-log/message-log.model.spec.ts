import { API_REQUEST_LOG_INDEXES } from './api-request-log.repository';
import { BROADCAST_RESULTS_INDEXES } from './broadcast-results.repository';
import { CONTACT_MESSAGES_INDEXES } from './contact-messages.repository';
import { MESSAGE_LOG_LIST_INDEXES } from './message-log-list.repository';
import { MESSAGE_LOG_MODEL } from './message-log.module';

describe('MESSAGE_LOG_MODEL (the ledger collection)', () => {
  const declared = MESSAGE_LOG_MODEL.schema.indexes().map(([keys, options]) => ({ keys, unique: options?.unique === true }));

  it.each([
    ['seed 000 (MessageLogListRepository)', MESSAGE_LOG_LIST_INDEXES],
    ['seed 003 (ContactMessagesRepository)', CONTACT_MESSAGES_INDEXES],
    ['seed 004 (ApiRequestLogRepository)', API_REQUEST_LOG_INDEXES],
    ['broadcast results (BroadcastResultsRepository)', BROADCAST_RESULTS_INDEXES],
  ])("carries the indexes the %s view declares next to its query, once each", (_view, indexes) => {
    for (const { keys } of indexes) expect(declared.filter((index) => JSON.stringify(index.keys) === JSON.stringify(keys))).toHaveLength(1);
  });

  it("keeps message_uid unique per client, on the shard key: one entry per client's logical message", () => {
    expect(declared).toContainEqual({ keys: { client_id: 1, message_uid: 1 }, unique: true });
    expect(declared.filter(({ keys }) => Object.keys(keys)[0] === 'message_uid')).toEqual([]);
  });
});
