import { AppConfig } from '../config';
import {
  AudienceMember,
  audienceRecipientsOf,
  BroadcastAudiences,
  BroadcastAudienceSource,
  requireOptInByDefault,
  TemplateCategories,
  unfilledAudiencePlaceholders,
} from './broadcast-audience';
import type { BroadcastRepository } from './broadcast.repository';
import type { RecipientVariablesRepository } from './recipient-variables.repository';

async function* membersOf(members: AudienceMember[]): AsyncGenerator<AudienceMember> {
  for (const member of members) yield member;
}

describe('broadcasts to an audience', () => {
  const ada: AudienceMember = { phone: '2348170000001', variables: { 'contact.first_name': 'Ada', 'contact.city': 'Lagos' }, optedIn: true };
  const bola: AudienceMember = { phone: '2348170000002', variables: { 'contact.first_name': 'Bola' }, optedIn: false };

  it('puts members without consent or without a needed value in failed, with the reason', async () => {
    const content = { text: 'Hi {{contact.first_name}} in {{contact.city}}' };
    const recipients = await audienceRecipientsOf(membersOf([ada, bola]), content, { requireOptIn: false, maxRecipients: 10 });
    expect(recipients).toMatchObject({ pending: [ada.phone], failed: [bola.phone], contactCount: 2, personalisedCount: 1 });
    expect(recipients.failures[0]).toMatchObject({ code: 'missing_variable', message: expect.stringContaining('{{contact.city}}') });
    const consented = await audienceRecipientsOf(membersOf([ada, bola]), { text: 'Hi' }, { requireOptIn: true, maxRecipients: 10 });
    expect(consented).toMatchObject({ pending: [ada.phone], failed: [bola.phone], failures: [{ code: 'no_opt_in' }] });
  });

  it('keeps only the placeholders nothing fills as problems', () => {
    expect(unfilledAudiencePlaceholders({ text: '{{contact.city}} {{name}} {{order|none}}' })).toEqual(['name']);
  });

  it('requires an opt-in by default for marketing templates only, and only once the catalogue knows the category', async () => {
    expect(requireOptInByDefault('MARKETING')).toBe(true);
    expect(requireOptInByDefault('UTILITY')).toBe(false);
    expect(requireOptInByDefault(null)).toBe(false);
    const source: jest.Mocked<BroadcastAudienceSource> = { check: jest.fn(), members: jest.fn(), withCurrentOptIn: jest.fn() };
    const categories: jest.Mocked<TemplateCategories> = { categoryOf: jest.fn().mockResolvedValue('MARKETING') };
    const build = (catalogue?: TemplateCategories) =>
      new BroadcastAudiences(source, {} as BroadcastRepository, {} as RecipientVariablesRepository, {} as AppConfig, catalogue);
    const template = { name: 'spring_sale', language: 'en' };
    expect(await build(categories).requireOptIn('c', 's', undefined, template)).toBe(true);
    expect(await build(categories).requireOptIn('c', 's', false, template)).toBe(false);
    expect(await build(categories).requireOptIn('c', 's', undefined, undefined)).toBe(false);
    expect(await build(undefined).requireOptIn('c', 's', undefined, template)).toBe(false);
  });
});
