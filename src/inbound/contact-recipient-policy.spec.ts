import { Types } from 'mongoose';
import type { SessionRecord } from '../auth';
import type { ContactService } from '../contact/contact.service';
import type { RecipientState } from '../contact/contact.repository';
import type { MessageContent } from '../message-content/message-content.schema';
import { ContactRecipientPolicy, MARKETING_STOPPED_FAILURE, OPTED_OUT_FAILURE, OUTSIDE_WINDOW_FAILURE } from './contact-recipient-policy';
import { OptOutKeywords } from './opt-out-keywords';
import type { AppConfig } from '../config';
import type { MessagingLimits } from '../messaging-limit/messaging-limits';

const clientId = new Types.ObjectId().toHexString();
const session = (provider: 'sandbox' | 'cloud-api', enforce: boolean | null = null) =>
  ({ _id: new Types.ObjectId(), provider, enforce_service_window: enforce }) as SessionRecord;
const text: MessageContent = { text: 'Hi', attachments: [], location: null, contactId: null, template: null };
const template: MessageContent = { text: null, attachments: [], location: null, contactId: null, template: { name: 'welcome', language: 'en' } };

describe('ContactRecipientPolicy', () => {
  let states: RecipientState[];
  let contacts: jest.Mocked<Pick<ContactService, 'recipientStates'>>;
  let policy: ContactRecipientPolicy;
  let limits: jest.Mocked<Pick<MessagingLimits, 'admit' | 'now'>>;
  const now = new Date('2026-12-03T12:00:00Z');
  const config = { sending: { messagingLimitRecheckMs: 60_000 } } as AppConfig;

  beforeEach(() => {
    states = [];
    contacts = { recipientStates: jest.fn(async (_clientId: string, phones: string[]) => states.filter((state) => phones.includes(state.phone))) };
    limits = { admit: jest.fn().mockResolvedValue(null), now: jest.fn(() => now.getTime()) };
    policy = new ContactRecipientPolicy(contacts as unknown as ContactService, limits as unknown as MessagingLimits, config);
  });

  it('refuses an opted-out number whatever the content', async () => {
    states = [{ phone: '234', optedOut: true, marketingStopped: false, lastInboundBySession: new Map() }];
    expect(await policy.verdict({ clientId, session: session('sandbox'), recipient: '234', content: template }, now)).toEqual(OPTED_OUT_FAILURE);
  });

  it('applies the 24-hour window to free-form messages where the session enforces it, never to templates', async () => {
    const cloud = session('cloud-api');
    const key = cloud._id.toHexString();
    states = [
      { phone: 'recent', optedOut: false, marketingStopped: false, lastInboundBySession: new Map([[key, new Date(now.getTime() - 23 * 3600_000)]]) },
      { phone: 'stale', optedOut: false, marketingStopped: false, lastInboundBySession: new Map([[key, new Date(now.getTime() - 25 * 3600_000)]]) },
      { phone: 'elsewhere', optedOut: false, marketingStopped: false, lastInboundBySession: new Map([[new Types.ObjectId().toHexString(), now]]) },
    ];
    const check = (recipient: string, content: MessageContent, on = cloud) => policy.verdict({ clientId, session: on, recipient, content }, now);
    expect(await check('recent', text)).toBeNull();
    expect(await check('stale', text)).toEqual(OUTSIDE_WINDOW_FAILURE);
    expect(await check('elsewhere', text)).toEqual(OUTSIDE_WINDOW_FAILURE);
    expect(await check('never', text)).toEqual(OUTSIDE_WINDOW_FAILURE);
    expect(await check('never', template)).toBeNull();
    expect(await check('never', text, session('sandbox'))).toBeNull();
    expect(await check('never', text, session('sandbox', true))).toEqual(OUTSIDE_WINDOW_FAILURE);
    expect(await check('never', text, session('cloud-api', false))).toBeNull();
  });

  it('refuses marketing templates to a number that stopped marketing messages (131050), and lets utility and authentication ones through', async () => {
    states = [{ phone: 'stopped', optedOut: false, marketingStopped: true, lastInboundBySession: new Map() }];
    const withCategory = (category: string): MessageContent => ({ ...template, template: { name: 'offer', language: 'en', category } });
    const check = (content: MessageContent) => policy.verdict({ clientId, session: session('cloud-api'), recipient: 'stopped', content }, now);
    expect(await check(withCategory('MARKETING'))).toEqual(MARKETING_STOPPED_FAILURE);
    expect(await check(withCategory('UTILITY'))).toBeNull();
    expect(await check(withCategory('AUTHENTICATION'))).toBeNull();
  });

  it('counts only business-initiated messages against the messaging limit, and makes one wait while it is reached', async () => {
    const cloud = session('cloud-api');
    states = [{ phone: 'wrote', optedOut: false, marketingStopped: false, lastInboundBySession: new Map([[cloud._id.toHexString(), new Date(now.getTime() - 3600_000)]]) }];
    expect(await policy.verdict({ clientId, session: cloud, recipient: 'wrote', content: template }, now)).toBeNull();
    expect(limits.admit).not.toHaveBeenCalled();

    const roomAt = new Date(now.getTime() + 5 * 60_000);
    limits.admit.mockResolvedValueOnce({ waitUntil: roomAt });
    // Expected in five minutes: it looks again after the recheck interval (a raised limit may let it go sooner).
    expect(await policy.verdict({ clientId, session: cloud, recipient: 'cold', content: template }, now)).toEqual({ reason: 'waiting_for_limit', waitUntil: roomAt, retryInMs: 60_000 });
    expect(limits.admit).toHaveBeenCalledWith(cloud, 'cold');
    // Free-form outside the window fails before it could count.
    expect(await policy.verdict({ clientId, session: cloud, recipient: 'cold', content: text }, now)).toEqual(OUTSIDE_WINDOW_FAILURE);
    expect(limits.admit).toHaveBeenCalledTimes(1);
  });

  it('reads the recipients of concurrent sends in one query per client', async () => {
    await Promise.all(['a', 'b', 'c'].map((recipient) => policy.verdict({ clientId, session: session('sandbox'), recipient, content: text })));
    expect(contacts.recipientStates).toHaveBeenCalledTimes(1);
    expect(contacts.recipientStates).toHaveBeenCalledWith(clientId, ['a', 'b', 'c']);
  });
});

describe('OptOutKeywords', () => {
  const keywords = new OptOutKeywords({ inbound: { optOutKeywords: ['STOP', 'UNSUBSCRIBE', 'STOPALL', 'CANCEL'], optInKeywords: ['START'] } } as unknown as AppConfig);

  it('matches the whole text, trimmed, in any case', () => {
    expect(keywords.intentOf(' Stop ')).toBe('opt-out');
    expect(keywords.intentOf('unsubscribe')).toBe('opt-out');
    expect(keywords.intentOf('START')).toBe('opt-in');
    expect(keywords.intentOf('please stop')).toBeNull();
    expect(keywords.intentOf('')).toBeNull();
    expect(keywords.intentOf(null)).toBeNull();
  });
});
