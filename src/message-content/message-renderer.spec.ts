import { Test } from '@nestjs/testing';
import { Types } from 'mongoose';
import { MAX_CAPTION_LENGTH, MediaSource, ProviderError } from '@app/whatsapp';
import { AttachmentRecord, AttachmentService } from '../attachment';
import { mediaKindOfMimetype } from '../attachment/media-rules';
import { ContactService } from '../contact/contact.service';
import type { ContactRecord } from '../contact/contact.schema';
import type { MessageContent } from './message-content.schema';
import { MessageRenderer } from './message-renderer';

const CLIENT = new Types.ObjectId().toHexString();

function attachment(mimetype: string, name: string): AttachmentRecord {
  const now = new Date();
  return { _id: new Types.ObjectId(), type: name.split('.')[1], mimetype, name, path: `./public/attachments/${name}`, size: 10, client_id: new Types.ObjectId(CLIENT), createdAt: now, updatedAt: now, __v: 0 };
}

const image = attachment('image/png', 'IMAGE.png');
const video = attachment('video/mp4', 'VIDEO.mp4');
const pdf = attachment('application/pdf', 'INVOICE.pdf');
const audio = attachment('audio/ogg', 'VOICE.ogg');
const sticker = attachment('image/webp', 'STICKER.webp');
const ada: ContactRecord = {
  _id: new Types.ObjectId(),
  client_id: new Types.ObjectId(CLIENT),
  name: 'Ada Lovelace',
  phone: '2348031230001',
  email: null,
  organization: null,
  createdAt: new Date(),
  updatedAt: new Date(),
  __v: 0,
};

const content = (parts: Partial<MessageContent>): MessageContent => ({ text: null, attachments: [], location: null, contactId: null, ...parts });

describe('MessageRenderer (content → wire messages)', () => {
  let renderer: MessageRenderer;
  const attachments: jest.Mocked<Pick<AttachmentService, 'findOwned' | 'mediaKindOf' | 'mediaSource'>> = {
    findOwned: jest.fn(),
    mediaKindOf: jest.fn(),
    mediaSource: jest.fn(),
  };
  const contacts: jest.Mocked<Pick<ContactService, 'findOwned'>> = { findOwned: jest.fn() };

  beforeEach(async () => {
    jest.resetAllMocks();
    const stored = [image, video, pdf, audio, sticker];
    attachments.findOwned.mockImplementation(async (_client, ids) => stored.filter(({ _id }) => ids.includes(_id.toHexString())));
    attachments.mediaKindOf.mockImplementation((record) => mediaKindOfMimetype(record.mimetype));
    attachments.mediaSource.mockImplementation((record): MediaSource => ({
      id: record._id.toHexString(),
      mimetype: record.mimetype,
      size: record.size,
      fileName: record.name,
      open: jest.fn(),
    }));
    contacts.findOwned.mockResolvedValue(ada);
    const moduleRef = await Test.createTestingModule({
      providers: [MessageRenderer, { provide: AttachmentService, useValue: attachments }, { provide: ContactService, useValue: contacts }],
    }).compile();
    renderer = moduleRef.get(MessageRenderer);
  });

  const kindsOf = async (parts: Partial<MessageContent>) =>
    (await renderer.render(CLIENT, content(parts))).map((part) => (part.kind === 'media' ? `${part.mediaKind}${part.caption ? `+caption:${part.caption}` : ''}` : part.kind));

  it('sends a text with an image as one message: the image, captioned with the text', async () => {
    expect(await kindsOf({ text: 'Our new menu', attachments: [image._id] })).toEqual(['image+caption:Our new menu']);
  });

  it('captions the first image, video or document, skipping audio and stickers, which take no caption', async () => {
    expect(await kindsOf({ text: 'Listen, then read', attachments: [audio._id, sticker._id, pdf._id, video._id] })).toEqual([
      'audio',
      'sticker',
      'document+caption:Listen, then read',
      'video',
    ]);
    expect(await kindsOf({ text: 'Hear this', attachments: [audio._id] })).toEqual(['text', 'audio']);
  });

  it('sends a text longer than a caption may be as its own message, before the media', async () => {
    const long = 'x'.repeat(MAX_CAPTION_LENGTH + 1);
    const parts = await renderer.render(CLIENT, content({ text: long, attachments: [image._id] }));
    expect(parts).toEqual([{ kind: 'text', text: long }, expect.objectContaining({ kind: 'media', mediaKind: 'image' })]);
    expect(parts[1]).not.toHaveProperty('caption');
    expect(await kindsOf({ text: 'y'.repeat(MAX_CAPTION_LENGTH), attachments: [image._id] })).toEqual([`image+caption:${'y'.repeat(MAX_CAPTION_LENGTH)}`]);
  });

  it('renders every part in a fixed order: template, text or captioned media, location, contact card', async () => {
    const parts = await renderer.render(
      CLIENT,
      content({
        text: 'See you there',
        attachments: [image._id],
        location: { lat: 6.5, lng: 3.3, name: 'Office', address: null },
        contactId: ada._id,
        template: { name: 'order_update', language: 'en_US' },
      }),
    );
    expect(parts).toEqual([
      { kind: 'template', template: { name: 'order_update', language: 'en_US' } },
      expect.objectContaining({ kind: 'media', mediaKind: 'image', caption: 'See you there', media: expect.objectContaining({ fileName: 'IMAGE.png' }) }),
      { kind: 'location', latitude: 6.5, longitude: 3.3, name: 'Office' },
      { kind: 'contacts', contacts: [expect.objectContaining({ name: expect.objectContaining({ formatted_name: 'Ada Lovelace' }) })] },
    ]);
    expect(await kindsOf({ text: 'Only words' })).toEqual(['text']);
  });

  it('fails permanently, naming it, when an attachment or the contact is gone', async () => {
    const gone = new Types.ObjectId();
    await expect(renderer.render(CLIENT, content({ attachments: [image._id, gone] }))).rejects.toMatchObject({
      kind: 'permanent',
      code: 'attachment_missing',
      message: `Attachment ${gone.toHexString()} no longer exists`,
    });
    contacts.findOwned.mockResolvedValue(null);
    await expect(renderer.render(CLIENT, content({ contactId: ada._id }))).rejects.toBeInstanceOf(ProviderError);
  });

  it("renders a broadcast's content once for all its recipients, but not a failed rendering", async () => {
    attachments.findOwned.mockRejectedValueOnce(new Error('MongoDB away'));
    await expect(renderer.render(CLIENT, content({ attachments: [image._id] }), 'broadcast:1')).rejects.toThrow('MongoDB away');
    const first = await renderer.render(CLIENT, content({ attachments: [image._id] }), 'broadcast:1');
    const second = await renderer.render(CLIENT, content({ attachments: [image._id] }), 'broadcast:1');
    expect(second).toEqual(first);
    expect(attachments.findOwned).toHaveBeenCalledTimes(2);
  });

  it("reuses a broadcast's media but gives each recipient its own text, as caption or text part ({{variables}} filled in per recipient)", async () => {
    const forAda = await renderer.render(CLIENT, content({ text: 'Hi Ada', attachments: [image._id] }), 'broadcast:2');
    const forBola = await renderer.render(CLIENT, content({ text: 'Hi Bola', attachments: [image._id] }), 'broadcast:2');
    expect(forAda).toEqual([expect.objectContaining({ kind: 'media', caption: 'Hi Ada' })]);
    expect(forBola).toEqual([expect.objectContaining({ kind: 'media', caption: 'Hi Bola' })]);
    const long = await renderer.render(CLIENT, content({ text: 'x'.repeat(2000), attachments: [image._id] }), 'broadcast:2');
    expect(long.map((part) => part.kind)).toEqual(['text', 'media']);
    expect(long[1]).not.toHaveProperty('caption');
    expect(attachments.findOwned).toHaveBeenCalledTimes(1);
  });
});
