import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { ContactController } from './contact.controller';
import { withIndexes } from '../core/schema-indexes';
import { CONTACT_AUDIENCE_INDEXES, ContactRepository } from './contact.repository';
import { Contact, ContactSchema } from './contact.schema';
import { ContactService } from './contact.service';

/** Contact records and ContactService, without HTTP: for the worker and other features. */
@Module({
  imports: [MongooseModule.forFeature([{ name: Contact.name, schema: withIndexes(ContactSchema, CONTACT_AUDIENCE_INDEXES) }])],
  providers: [ContactRepository, ContactService],
  exports: [ContactService],
})
export class ContactDataModule {}

/** /contacts over HTTP. */
@Module({
  imports: [ContactDataModule],
  controllers: [ContactController],
  exports: [ContactDataModule],
})
export class ContactHttpModule {}
