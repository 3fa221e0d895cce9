import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { ContactController } from './contact.controller';
import { ContactRepository } from './contact.repository';
import { Contact, ContactSchema } from './contact.schema';
import { ContactService } from './contact.service';

/** Contact records and ContactService, without HTTP: for the worker and other features. */
@Module({
  imports: [MongooseModule.forFeature([{ name: Contact.name, schema: ContactSchema }])],
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
