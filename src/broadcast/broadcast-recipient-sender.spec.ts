import { Test } from '@nestjs/testing';
import { Types } from 'mongoose';
import { ContactService } from '../contact/contact.service';
import { MessageSender } from '../sending/message-sender';
import { TemplateLifecycle } from '../template/template-lifecycle';
import { BroadcastPauseSignal } from './broadcast-pause.signal';
import { BroadcastProgress } from './broadcast-progress';
import { BroadcastRecipientSender } from './broadcast-recipient-sender';
import { BroadcastStopSignal } from './broadcast-stop.signal';
import { BroadcastJobRecipient } from './broadcast.jobs';
import type { BroadcastSendContext } from './broadcast.schema';

const broadcastId = new Types.ObjectId().toHexString();
const clientId = new Types.ObjectId();
const sessionId = new Types.ObjectId();
const recipient = '2348031230000';
const ada = { contactId: new Types.ObjectId().toHexString(), name: 'Ada' };

const jobRecipient = (overrides: Partial<BroadcastJobRecipient> = {}): BroadcastJobRecipient => ({
  recipient,
  contact: ada,
  ...overrides,
});

describe('BroadcastRecipientSender', () => {
  let recipientSender: BroadcastRecipientSender;
  let sender: jest.Mocked<Pick<MessageSender, 'send'>>;
  let progress: jest.Mocked<Pick<BroadcastProgress, 'record' | 'sendContext'>>;
  let stopSignal: jest.Mocked<Pick<BroadcastStopSignal, 'isRaised'>>;
  let pauseSignal: jest.Mocked<Pick<BroadcastPauseSignal, 'isPaused'>>;
  let contacts: jest.Mocked<Pick<ContactService, 'findByPhone'>>;
  let templates: jest.Mocked<Pick<TemplateLifecycle, 'sendRefused'>>;

  beforeEach(async () => {
    sender = { send: jest.fn() };
    progress = { record: jest.fn(), sendContext: jest.fn() };
    stopSignal = { isRaised: jest.fn().mockResolvedValue(false) };
    pauseSignal = { isPaused: jest.fn().mockResolvedValue(false) };
    contacts = { findByPhone: jest.fn() };
    templates = { sendRefused: jest.fn().mockResolvedValue(undefined) };
    const context: BroadcastSendContext = {
      _id: new Types.ObjectId(broadcastId),
      client_id: clientId,
      session_id: sessionId,
      status: 'sending',
      message: { text: 'hi', attachments: [], location: null, contactId: null },
    };
    progress.sendContext.mockResolvedValue(context);
    const moduleRef = await Test.createTestingModule({
      providers: [
        BroadcastRecipientSender,
        { provide: MessageSender, useValue: sender },
        { provide: BroadcastProgress, useValue: progress },
        { provide: BroadcastStopSignal, useValue: stopSignal },
        { provide: BroadcastPauseSignal, useValue: pauseSignal },
        { provide: ContactService, useValue: contacts },
        { provide: TemplateLifecycle, useValue: templates },
      ],
    }).compile();
    recipientSender = moduleRef.get(BroadcastRecipientSender);
  });

  it("claims the recipient's entry with the contact the job carries, sends it, and records the outcome for the broadcast", async () => {
    sender.send.mockResolvedValue({ status: 'sent' });
    expect(await recipientSender.send(broadcastId, jobRecipient(), { lastAttempt: false })).toEqual({ status: 'sent' });
    expect(sender.send).toHaveBeenCalledWith(
      {
        kind: 'broadcast-recipient',
        entry: {
          clientId: clientId.toHexString(),
          sessionId: sessionId.toHexString(),
          source: 'broadcast',
          broadcastId,
          recipient,
          contact: ada,
          message: { text: 'hi', attachments: [], location: null, contactId: null },
        },
      },
      { lastAttempt: false, stopped: expect.any(Function), held: expect.any(Function), contentKey: `broadcast:${broadcastId}` },
    );
    expect(contacts.findByPhone).not.toHaveBeenCalled();
    expect(progress.record).toHaveBeenCalledWith(clientId.toHexString(), broadcastId, recipient, 'sent');
  });

  it('looks the contact up only for jobs added before fan-out carried it', async () => {
    sender.send.mockResolvedValue({ status: 'sent' });
    contacts.findByPhone.mockResolvedValue(null);
    await recipientSender.send(broadcastId, jobRecipient({ contact: undefined }), { lastAttempt: false });
    expect(contacts.findByPhone).toHaveBeenCalledWith(clientId.toHexString(), recipient);
    expect(sender.send.mock.calls[0][0]).toMatchObject({ entry: { contact: { contactId: null, name: null } } });
  });

  it('records a final failure, and passes on that no retry follows', async () => {
    const failure = { code: '130429', message: 'Rate limit hit' };
    sender.send.mockResolvedValue({ status: 'failed', failure });
    expect(await recipientSender.send(broadcastId, jobRecipient(), { lastAttempt: true })).toEqual({ status: 'failed', failure });
    expect(sender.send.mock.calls[0][1]).toMatchObject({ lastAttempt: true });
    expect(progress.record).toHaveBeenCalledWith(clientId.toHexString(), broadcastId, recipient, 'failed');
  });

  it('lets a transient failure propagate so that Bull retries, recording nothing yet', async () => {
    sender.send.mockRejectedValue(new Error('transient'));
    await expect(recipientSender.send(broadcastId, jobRecipient(), { lastAttempt: false })).rejects.toThrow('transient');
    expect(progress.record).not.toHaveBeenCalled();
  });

  it('skips recipients of a stopped (cancelled or deleted) broadcast without touching the ledger', async () => {
    stopSignal.isRaised.mockResolvedValue(true);
    expect(await recipientSender.send(broadcastId, jobRecipient(), { lastAttempt: false })).toEqual({ status: 'skipped', reason: 'broadcast stopped' });
    expect(sender.send).not.toHaveBeenCalled();
  });

  it('skips a broadcast that no longer exists or has finished', async () => {
    progress.sendContext.mockResolvedValue(null);
    expect(await recipientSender.send(broadcastId, jobRecipient(), { lastAttempt: false })).toEqual({ status: 'skipped', reason: 'broadcast not sending' });
    expect(sender.send).not.toHaveBeenCalled();
  });

  it('skips the recipients of a paused broadcast, leaving them pending for the resume', async () => {
    pauseSignal.isPaused.mockResolvedValue(true);
    expect(await recipientSender.send(broadcastId, jobRecipient(), { lastAttempt: false })).toEqual({ status: 'skipped', reason: 'broadcast paused' });
    expect(sender.send).not.toHaveBeenCalled();
    expect(progress.record).not.toHaveBeenCalled();
  });

  it('reads a broadcast seen in another status again (a resume or retry may have reopened it) before skipping', async () => {
    const context = (status: string) => ({ _id: new Types.ObjectId(broadcastId), client_id: clientId, session_id: sessionId, status, message: { text: 'hi', attachments: [], location: null, contactId: null } }) as unknown as BroadcastSendContext;
    progress.sendContext.mockResolvedValueOnce(context('paused')).mockResolvedValueOnce(context('sending'));
    sender.send.mockResolvedValue({ status: 'sent' });
    expect(await recipientSender.send(broadcastId, jobRecipient(), { lastAttempt: false })).toEqual({ status: 'sent' });
    expect(progress.sendContext).toHaveBeenLastCalledWith(broadcastId, 1000);
  });

  it("fills the text and the template's parameters with the job's variables (defaults where it has none), and claims the entry with them", async () => {
    progress.sendContext.mockResolvedValue({
      _id: new Types.ObjectId(broadcastId),
      client_id: clientId,
      session_id: sessionId,
      status: 'sending',
      message: {
        text: 'Hello {{name}}, order {{order|unknown}} ships {{ day }}',
        attachments: [],
        location: null,
        contactId: null,
        template: { name: 'order_update', language: 'en', components: [{ type: 'body', parameters: [{ type: 'text', text: '{{name}}' }] }] },
      },
    } as unknown as BroadcastSendContext);
    sender.send.mockResolvedValue({ status: 'sent' });
    await recipientSender.send(broadcastId, jobRecipient({ variables: { name: 'Ada', day: 'today' } }), { lastAttempt: false });
    expect(sender.send.mock.calls[0][0]).toMatchObject({
      entry: {
        message: {
          text: 'Hello Ada, order unknown ships today',
          template: { name: 'order_update', language: 'en', components: [{ type: 'body', parameters: [{ type: 'text', text: 'Ada' }] }] },
        },
      },
    });
  });
});
