import { BadRequestException, ForbiddenException, UnauthorizedException } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Types } from 'mongoose';
import { signWebhookBody, StatusUpdate, verifyWebhookSignature } from '@app/whatsapp';
import { SessionRepository } from '../auth/session.repository';
import { hashSecret } from '../auth/secrets';
import { CloudApiAccount, CloudApiAccounts } from '../cloud-api/cloud-api-accounts';
import { AppConfig } from '../config';
import { DeliveryStatusService } from '../delivery-status/delivery-status.service';
import { InboundService } from '../inbound/inbound.service';
import { NumberQualityReceiver } from './number-quality.receiver';
import { TemplateWebhookReceiver } from '../template/template-webhook.receiver';
import { WhatsappWebhookService } from './whatsapp-webhook.service';

const SECRET = 'app-secret';

function account(phoneNumberId: string, appSecret = SECRET): CloudApiAccount {
  return {
    session: { _id: new Types.ObjectId() } as CloudApiAccount['session'],
    credentials: { phone_number_id: phoneNumberId, access_token: 'token', app_secret: appSecret, verify_token: 'verify-me' },
  };
}

function webhook(phoneNumberIds: string[]): { payload: unknown; raw: Buffer } {
  const payload = {
    object: 'whatsapp_business_account',
    entry: phoneNumberIds.map((phoneNumberId, index) => ({
      id: 'waba',
      changes: [
        {
          field: 'messages',
          value: {
            metadata: { phone_number_id: phoneNumberId },
            statuses: [
              { id: `wamid.${index}`, status: 'delivered', timestamp: '1700000000', pricing: { billable: true, category: 'utility' } },
            ],
          },
        },
      ],
    })),
  };
  return { payload, raw: Buffer.from(JSON.stringify(payload)) };
}

describe('WhatsappWebhookService', () => {
  let service: WhatsappWebhookService;
  let applied: Array<StatusUpdate & { onlyForSessionId?: string | null }>;
  let accounts: Map<string, CloudApiAccount>;
  let verifyTokenHashes: Set<string>;

  beforeEach(async () => {
    applied = [];
    accounts = new Map([['111', account('111')], ['222', account('222', 'other-app-secret')]]);
    verifyTokenHashes = new Set([hashSecret('verify-me')]);
    const cloudApiAccounts: jest.Mocked<Pick<CloudApiAccounts, 'findByPhoneNumberId' | 'signedByAnyAccount'>> = {
      findByPhoneNumberId: jest.fn(async (id) => accounts.get(id) ?? null),
      signedByAnyAccount: jest.fn(async (raw, signature) =>
        [...accounts.values()].some((known) => verifyWebhookSignature(raw, signature, known.credentials.app_secret)),
      ),
    };
    const sessions: jest.Mocked<Pick<SessionRepository, 'existsWithWebhookVerifyTokenHash'>> = {
      existsWithWebhookVerifyTokenHash: jest.fn(async (_provider, hash) => verifyTokenHashes.has(hash)),
    };
    const deliveryStatus: jest.Mocked<Pick<DeliveryStatusService, 'apply'>> = {
      apply: jest.fn(async (update, onlyForSessionId) => void applied.push({ ...update, onlyForSessionId })),
    };
    const templateEvents: jest.Mocked<Pick<TemplateWebhookReceiver, 'receive'>> = { receive: jest.fn().mockResolvedValue(null) };
    const config = { cloudApi: { pricesUsdCents: { utility: 0.77 } } } satisfies { cloudApi: Pick<AppConfig['cloudApi'], 'pricesUsdCents'> };
    const module = await Test.createTestingModule({
      providers: [
        WhatsappWebhookService,
        { provide: CloudApiAccounts, useValue: cloudApiAccounts },
        { provide: SessionRepository, useValue: sessions },
        { provide: DeliveryStatusService, useValue: deliveryStatus },
        { provide: InboundService, useValue: { receiveForSession: async () => 0 } },
        { provide: AppConfig, useValue: config },
        // Template notifications are the receiver's (its own suite); these payloads hold none.
        { provide: TemplateWebhookReceiver, useValue: templateEvents },
        // Number-quality notifications too (test/meta-error-rules.e2e-spec.ts); these payloads hold none.
        { provide: NumberQualityReceiver, useValue: { receive: jest.fn().mockResolvedValue(null) } },
      ],
    }).compile();
    service = module.get(WhatsappWebhookService);
  });

  it('applies the status updates of a correctly signed webhook, priced', async () => {
    const { payload, raw } = webhook(['111']);
    expect(await service.receive(raw, signWebhookBody(raw, SECRET), payload)).toEqual({ updates: 1, messages: 0 });
    expect(applied).toEqual([
      {
        providerMessageId: 'wamid.0',
        status: 'delivered',
        timestamp: new Date(1700000000_000),
        costInUsdCents: 0.77,
        onlyForSessionId: accounts.get('111')!.session._id.toHexString(),
      },
    ]);
  });

  it('refuses a missing or wrong signature, and a sender that is no session, applying nothing', async () => {
    const { payload, raw } = webhook(['111']);
    await expect(service.receive(raw, undefined, payload)).rejects.toThrow(UnauthorizedException);
    await expect(service.receive(raw, signWebhookBody(raw, 'guess'), payload)).rejects.toThrow(UnauthorizedException);
    const unknown = webhook(['999']);
    await expect(service.receive(unknown.raw, signWebhookBody(unknown.raw, SECRET), unknown.payload)).rejects.toThrow(UnauthorizedException);
    expect(applied).toEqual([]);
  });

  it('refuses the whole payload when one of its senders did not sign it', async () => {
    const { payload, raw } = webhook(['111', '222']);
    await expect(service.receive(raw, signWebhookBody(raw, SECRET), payload)).rejects.toThrow(UnauthorizedException);
    expect(applied).toEqual([]);
  });

  it('answers 400 when the body was not kept raw (not JSON)', async () => {
    await expect(service.receive(undefined, 'sha256=00', {})).rejects.toThrow(BadRequestException);
  });

  it('writes nothing for a signed payload that names no sender', async () => {
    const raw = Buffer.from('{"object":"whatsapp_business_account","entry":[]}');
    expect(await service.receive(raw, signWebhookBody(raw, SECRET), JSON.parse(raw.toString()))).toEqual({ updates: 0, messages: 0 });
    expect(applied).toEqual([]);
  });

  it.each([
    ['an account-level payload', '{"object":"whatsapp_business_account","entry":[]}'],
    ['a payload that is no webhook at all', '[1,2,3]'],
  ])('refuses %s that no session signed', async (_label, text) => {
    const raw = Buffer.from(text);
    await expect(service.receive(raw, signWebhookBody(raw, 'not-our-secret'), JSON.parse(text))).rejects.toThrow(UnauthorizedException);
    await expect(service.receive(raw, 'sha256=00', JSON.parse(text))).rejects.toThrow(UnauthorizedException);
  });

  it('echoes the challenge for a known verify token and refuses others', async () => {
    expect(await service.answerHandshake('verify-me', '1158201444')).toBe('1158201444');
    await expect(service.answerHandshake('wrong', '1158201444')).rejects.toThrow(ForbiddenException);
  });
});
