import { broadcastRecipientMessageUid, newMessageUid } from './message-log.repository';

describe('message_uid', () => {
  it('is 16 hex characters, random for API messages', () => {
    expect(newMessageUid()).toMatch(/^[0-9a-f]{16}$/);
    expect(newMessageUid()).not.toEqual(newMessageUid());
  });

  it('is derived from broadcast and recipient for broadcast entries, so a re-run job finds the same entry', () => {
    const uid = broadcastRecipientMessageUid('64ac509d05a7cc2b8c2bd9ab', '2348179803743');
    expect(uid).toMatch(/^[0-9a-f]{16}$/);
    expect(broadcastRecipientMessageUid('64ac509d05a7cc2b8c2bd9ab', '2348179803743')).toBe(uid);
    expect(broadcastRecipientMessageUid('64ac509d05a7cc2b8c2bd9ab', '2349048988056')).not.toBe(uid);
    expect(broadcastRecipientMessageUid('64ac509d05a7cc2b8c2bd9ac', '2348179803743')).not.toBe(uid);
  });
});
