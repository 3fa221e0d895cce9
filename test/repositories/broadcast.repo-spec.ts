import { Types } from 'mongoose';
import { BroadcastRepository, NewBroadcast, RecipientMoves } from '../../src/broadcast/broadcast.repository';
import { Broadcast, BroadcastSchema, BroadcastStatus } from '../../src/broadcast/broadcast.schema';
import { describeWithMongo } from '../support/mongo';
import { createRepositoryTestBed, RepositoryTestBed } from '../support/repositories';

describeWithMongo('BroadcastRepository (MongoDB)', () => {
  let bed: RepositoryTestBed;
  let broadcasts: BroadcastRepository;
  const clientId = new Types.ObjectId().toHexString();
  const sessionId = new Types.ObjectId().toHexString();
  const attachmentId = new Types.ObjectId();

  beforeAll(async () => {
    bed = await createRepositoryTestBed([{ name: Broadcast.name, schema: BroadcastSchema }], [BroadcastRepository]);
    broadcasts = bed.get(BroadcastRepository);
  });
  afterAll(() => bed.close());

  const newBroadcast = (pending: string[], changes: Partial<NewBroadcast> = {}): NewBroadcast => ({
    clientId,
    sessionId,
    sendType: 'individual',
    to: pending.join(','),
    message: { text: 'hello', attachments: [attachmentId], location: { lat: 6.5, lng: 3.3, name: null, address: null }, contactId: null },
    pending,
    failed: [],
    failures: [],
    ...changes,
  });

  it('stores the content as given (no template on a broadcast) and every recipient in pending', async () => {
    const created = await broadcasts.create(newBroadcast(['2348031230001', '2348031230002']));
    expect(created).toMatchObject({ status: 'sending', sent: [], pending: ['2348031230001', '2348031230002'], failed: [], finished_at: null });
    const stored = await broadcasts.findOwned(clientId, created._id.toHexString());
    expect(stored!.message).toEqual({ text: 'hello', attachments: [attachmentId], location: { lat: 6.5, lng: 3.3, name: null, address: null }, contactId: null });
  });

  it('is failed at once when no recipient is left to send to', async () => {
    const failure = { recipient: 'nope', code: 'invalid_number', message: '"nope" is not a valid international phone number' };
    const created = await broadcasts.create(newBroadcast([], { to: 'nope', failed: ['nope'], failures: [failure] }));
    expect(created).toMatchObject({ status: 'failed', failed: ['nope'], failures: [failure] });
    expect(created.finished_at).toBeInstanceOf(Date);
  });

  it("reads another client's broadcast, or a malformed id, as missing", async () => {
    const created = await broadcasts.create(newBroadcast(['2348031230003']));
    expect(await broadcasts.findOwned(new Types.ObjectId().toHexString(), created._id.toHexString())).toBeNull();
    expect(await broadcasts.findOwned(clientId, 'not-an-id')).toBeNull();
    expect(await broadcasts.cancel(new Types.ObjectId().toHexString(), created._id.toHexString())).toBeNull();
    expect(await broadcasts.delete(new Types.ObjectId().toHexString(), created._id.toHexString())).toBe(false);
  });

  it('lists one session, or every session, newest first, with the total', async () => {
    const ownClient = new Types.ObjectId().toHexString();
    const otherSession = new Types.ObjectId().toHexString();
    const first = await broadcasts.create(newBroadcast(['2348031230004'], { clientId: ownClient }));
    const second = await broadcasts.create(newBroadcast(['2348031230005'], { clientId: ownClient, sessionId: otherSession }));
    const third = await broadcasts.create(newBroadcast(['2348031230006'], { clientId: ownClient }));
    const all = await broadcasts.list(ownClient, null, { page: 1, limit: 2 });
    expect(all.total).toBe(3);
    expect(all.items.map(({ _id }) => _id.toHexString())).toEqual([third._id.toHexString(), second._id.toHexString()]);
    const session = await broadcasts.list(ownClient, sessionId, { page: 1, limit: 10 });
    expect(session.items.map(({ _id }) => _id.toHexString())).toEqual([third._id.toHexString(), first._id.toHexString()]);
  });

  it('moves recipients out of pending in one update, each into exactly one array, however often repeated', async () => {
    const recipients = ['2348031230010', '2348031230011', '2348031230012', '2348031230013'];
    const { _id, activated_at: activatedAt } = await broadcasts.create(newBroadcast(recipients));
    const id = _id.toHexString();
    await broadcasts.moveRecipients(clientId, id, { sent: ['2348031230010', '2348031230011'], failed: ['2348031230012'] });
    await broadcasts.moveRecipients(clientId, id, { sent: ['2348031230010'], failed: [] });
    const moved = await broadcasts.findOwned(clientId, id);
    expect(moved).toMatchObject({ sent: ['2348031230010', '2348031230011'], failed: ['2348031230012'], pending: ['2348031230013'] });
    // What enqueuing the next send jobs needs, in the same read as the recipients.
    expect(await broadcasts.findFanOutNext(id, 10)).toEqual({ broadcastId: id, clientId, sessionId, activatedAt, window: 0, pending: 1, recipients: ['2348031230013'] });
    // The writes name the broadcast's client: another client's id moves nothing.
    await broadcasts.moveRecipients(new Types.ObjectId().toHexString(), id, { sent: ['2348031230013'], failed: [] });
    expect(await broadcasts.findFanOutNext(id, 10)).toMatchObject({ pending: 1, recipients: ['2348031230013'] });
  });

  it.each([
    ['completed', { sent: ['2348031230020', '2348031230021'], failed: [] }],
    ['completed_with_errors', { sent: ['2348031230020'], failed: ['2348031230021'] }],
    ['failed', { sent: [], failed: ['2348031230020', '2348031230021'] }],
  ] as Array<[BroadcastStatus, RecipientMoves]>)('finishes as %s once pending is empty, exactly once', async (status, moves) => {
    const { _id } = await broadcasts.create(newBroadcast(['2348031230020', '2348031230021']));
    const id = _id.toHexString();
    await broadcasts.moveRecipients(clientId, id, { sent: moves.sent.slice(0, 1), failed: moves.sent.length === 0 ? moves.failed.slice(0, 1) : [] });
    // One recipient is still pending: not done.
    expect(await broadcasts.finishIfDone(clientId, id)).toBeNull();
    await broadcasts.moveRecipients(clientId, id, moves);
    const results = await Promise.all([broadcasts.finishIfDone(clientId, id), broadcasts.finishIfDone(clientId, id), broadcasts.finishIfDone(clientId, id)]);
    expect(results.filter((result) => result !== null)).toEqual([{ status, finishedAt: expect.any(Date) }]);
    // The completion is in the broadcast's outbox, once, until its event is published.
    const [{ finishedAt }] = results.filter((result) => result !== null);
    expect((await broadcasts.findWithPendingCompletions(new Date(Date.now() + 60_000), 1000)).find((found) => found.id === id)).toEqual({ id, completions: [{ status, finishedAt }] });
    await broadcasts.clearPendingCompletion(id, finishedAt);
    expect((await broadcasts.findWithPendingCompletions(new Date(Date.now() + 60_000), 1000)).map((found) => found.id)).not.toContain(id);
    expect(await broadcasts.findStatus(id)).toBe(status);
    expect((await broadcasts.findOwned(clientId, id))!.finished_at).toBeInstanceOf(Date);
    expect(await broadcasts.findFanOutNext(id, 10)).toBeNull();
    expect(await broadcasts.findFanOutWindow(id)).toBeNull();
  });

  it("keeps the fan-out's window as recipients are added and leave, and reads it with its slice of pending in one read", async () => {
    const recipients = Array.from({ length: 7 }, (_, index) => `23480312301${index}0`);
    const { _id, activated_at: activatedAt } = await broadcasts.create(newBroadcast(recipients));
    const id = _id.toHexString();
    expect(await broadcasts.findFanOutWindow(id)).toMatchObject({ window: 0, pending: 7, recipients: [] });
    expect(await broadcasts.findFanOutNext(id, 3)).toMatchObject({ window: 0, recipients: recipients.slice(0, 3) });
    await broadcasts.advanceFanOut(id, activatedAt!, 3);
    // A full window has nothing to add; the window is the first three.
    expect(await broadcasts.findFanOutNext(id, 3)).toMatchObject({ window: 3, recipients: [] });
    expect(await broadcasts.findFanOutWindow(id)).toMatchObject({ window: 3, pending: 7, recipients: recipients.slice(0, 3) });

    // Two outcomes leave the window in the update that moves them, and answer where it stands.
    expect(await broadcasts.moveRecipients(clientId, id, { sent: [recipients[0]], failed: [recipients[2]] })).toEqual({ broadcastId: id, clientId, sessionId, activatedAt, window: 1 });
    expect(await broadcasts.findFanOutNext(id, 3)).toMatchObject({ window: 1, pending: 5, recipients: recipients.slice(3, 5) });
    await broadcasts.advanceFanOut(id, activatedAt!, 2);
    expect(await broadcasts.findFanOutWindow(id)).toMatchObject({ window: 3, recipients: [recipients[1], recipients[3], recipients[4]] });

    // An advance from an earlier activation counts nothing into this one.
    await broadcasts.advanceFanOut(id, new Date(activatedAt!.getTime() - 1000), 2);
    expect(await broadcasts.findFanOutWindow(id)).toMatchObject({ window: 3 });
    // The position is the worker's: the API's reads never show it.
    expect(await broadcasts.findOwned(clientId, id)).not.toHaveProperty('fan_out');
    expect((await broadcasts.list(clientId, sessionId, { page: 1, limit: 100 })).items.find((item) => item._id.equals(_id))).not.toHaveProperty('fan_out');

    // A paused broadcast has no window to add to; its resume is a new activation whose fan-out starts from the front.
    expect(await broadcasts.pause(clientId, id)).not.toHaveProperty('fan_out');
    expect(await broadcasts.findFanOutNext(id, 3)).toBeNull();
    const resumed = await broadcasts.resume(clientId, id, new Date(activatedAt!.getTime() + 5000));
    expect(resumed).not.toHaveProperty('fan_out');
    expect(await broadcasts.findFanOutNext(id, 3)).toMatchObject({ activatedAt: resumed!.activated_at, window: 0, recipients: [recipients[1], recipients[3], recipients[4]] });
  });

  it('never reads a window below none, though a recipient recorded twice takes it below the truth', async () => {
    const recipients = ['2348031230200', '2348031230201'];
    const { _id, activated_at: activatedAt } = await broadcasts.create(newBroadcast(recipients));
    const id = _id.toHexString();
    await broadcasts.advanceFanOut(id, activatedAt!, 1);
    await broadcasts.moveRecipients(clientId, id, { sent: [recipients[0]], failed: [] });
    expect(await broadcasts.moveRecipients(clientId, id, { sent: [recipients[0]], failed: [] })).toMatchObject({ window: 0 });
    expect(await broadcasts.findFanOutNext(id, 5)).toMatchObject({ window: 0, pending: 1, recipients: [recipients[1]] });
  });

  it('starts a fan-out from the front when a retry reopens a finished broadcast', async () => {
    const recipients = ['2348031230300', '2348031230301'];
    const { _id, activated_at: activatedAt } = await broadcasts.create(newBroadcast(recipients));
    const id = _id.toHexString();
    await broadcasts.advanceFanOut(id, activatedAt!, 2);
    await broadcasts.moveRecipients(clientId, id, { sent: [recipients[0]], failed: [recipients[1]] });
    await broadcasts.finishIfDone(clientId, id);
    const reopened = await broadcasts.returnToPending(clientId, id, [recipients[1]], new Date(activatedAt!.getTime() + 5000));
    expect(reopened).toMatchObject({ status: 'sending' });
    expect(reopened).not.toHaveProperty('fan_out');
    expect(await broadcasts.findFanOutNext(id, 5)).toMatchObject({ activatedAt: reopened!.activated_at, window: 0, pending: 1, recipients: [recipients[1]] });
  });

  it('cancels only a sending broadcast, and a cancelled one never finishes', async () => {
    const { _id } = await broadcasts.create(newBroadcast(['2348031230030']));
    const id = _id.toHexString();
    expect(await broadcasts.cancel(clientId, id)).toMatchObject({ status: 'cancelled', finished_at: expect.any(Date) });
    expect(await broadcasts.cancel(clientId, id)).toBeNull();
    await broadcasts.moveRecipients(clientId, id, { sent: ['2348031230030'], failed: [] });
    expect(await broadcasts.finishIfDone(clientId, id)).toBeNull();
    expect(await broadcasts.findStatus(id)).toBe('cancelled');
  });

  it('finds broadcasts still sending after a while (the sweep), oldest first, and counts those using an attachment', async () => {
    const sweepClient = new Types.ObjectId().toHexString();
    const old = await broadcasts.create(newBroadcast(['2348031230040'], { clientId: sweepClient }));
    const finished = await broadcasts.create(newBroadcast(['2348031230041'], { clientId: sweepClient }));
    await broadcasts.cancel(sweepClient, finished._id.toHexString());
    const found = await broadcasts.findSendingCreatedBefore(new Date(Date.now() + 1000), 1000);
    expect(found).toContain(old._id.toHexString());
    expect(found).not.toContain(finished._id.toHexString());
    expect(await broadcasts.findSendingCreatedBefore(new Date(old.createdAt.getTime()), 1000)).not.toContain(old._id.toHexString());

    expect(await broadcasts.countSendingUsingAttachment(sweepClient, attachmentId.toHexString())).toBe(1);
    expect(await broadcasts.countSendingUsingAttachment(sweepClient, new Types.ObjectId().toHexString())).toBe(0);
    expect(await broadcasts.countSendingUsingAttachment(sweepClient, 'bad')).toBe(0);

    // An attachment sent as a template's media header is in use too.
    const headerAttachment = new Types.ObjectId().toHexString();
    const template = { name: 'promo', language: 'en', components: [{ type: 'header', parameters: [{ type: 'document', document: { attachment_id: headerAttachment } }] }] };
    await broadcasts.create(newBroadcast(['2348031230042'], { clientId: sweepClient, message: { text: null, attachments: [], location: null, contactId: null, template } }));
    expect(await broadcasts.countSendingUsingAttachment(sweepClient, headerAttachment)).toBe(1);
    expect(await broadcasts.countSendingUsingAttachment(new Types.ObjectId().toHexString(), headerAttachment)).toBe(0);
  });

  it("deletes only its own client's broadcast", async () => {
    const { _id } = await broadcasts.create(newBroadcast(['2348031230050']));
    expect(await broadcasts.delete(clientId, _id.toHexString())).toBe(true);
    expect(await broadcasts.delete(clientId, _id.toHexString())).toBe(false);
    expect(await broadcasts.findOwned(clientId, _id.toHexString())).toBeNull();
  });
  describe('held for a template', () => {
    const template = { name: 'order_update', language: 'en_US', components: [] };
    const use = { clientId, sessionIds: [sessionId], name: 'order_update', language: 'en_US' };

    it('pauses sending and scheduled broadcasts for a reason, finds them by template, and resumes each to where it was', async () => {
      const sending = await broadcasts.create(newBroadcast(['2348031239001'], { message: { text: null, attachments: [], location: null, contactId: null, template } }));
      const later = new Date(Date.now() + 3_600_000);
      const scheduled = await broadcasts.create(newBroadcast(['2348031239002'], { sendAt: later, message: { text: null, attachments: [], location: null, contactId: null, template } }));
      const found = await broadcasts.findUsingTemplate(use, ['sending', 'scheduled']);
      expect(found.map(({ _id }) => _id.toHexString()).sort()).toEqual([sending._id.toHexString(), scheduled._id.toHexString()].sort());
      expect(await broadcasts.findUsingTemplate({ ...use, language: 'fr' }, ['sending', 'scheduled'])).toEqual([]);

      for (const { _id } of found) expect(await broadcasts.pauseFor(clientId, _id.toHexString(), 'template_paused')).toMatchObject({ status: 'paused', paused_reason: 'template_paused' });
      expect(await broadcasts.pauseFor(clientId, sending._id.toHexString(), 'template_paused')).toBeNull();
      expect(await broadcasts.findUsingTemplate({ ...use, pausedReason: 'template_paused' }, ['paused'])).toHaveLength(2);

      expect(await broadcasts.resumeFrom(clientId, sending._id.toHexString(), 'template_paused')).toMatchObject({ status: 'sending', paused_reason: null });
      expect(await broadcasts.resumeFrom(clientId, scheduled._id.toHexString(), 'template_paused')).toMatchObject({ status: 'scheduled', send_at: later, paused_reason: null });
      expect(await broadcasts.resumeFrom(clientId, sending._id.toHexString(), 'template_paused')).toBeNull();
    });

    it('fails pending recipients of a paused broadcast and lets it finish, only while it is paused', async () => {
      const created = await broadcasts.create(newBroadcast(['2348031239003', '2348031239004', '2348031239005']));
      const id = created._id.toHexString();
      expect(await broadcasts.failPendingOfPaused(clientId, id, ['2348031239004'])).toBe(false);
      await broadcasts.pauseFor(clientId, id, 'template_paused');
      expect(await broadcasts.findPendingOfPaused(clientId, id)).toMatchObject({ pending: ['2348031239003', '2348031239004', '2348031239005'], session_id: created.session_id });
      expect(await broadcasts.failPendingOfPaused(clientId, id, ['2348031239004', '2348031239005'])).toBe(true);
      const stored = await broadcasts.findOwned(clientId, id);
      // Their reasons are the ledger's (failUnsentOfBroadcast), not the broadcast's own `failures` (refused at creation).
      expect(stored).toMatchObject({ status: 'sending', pending: ['2348031239003'], failed: ['2348031239004', '2348031239005'], paused_reason: null, failures: [] });
      expect(await broadcasts.findPendingOfPaused(clientId, id)).toBeNull();
    });
  });
});
