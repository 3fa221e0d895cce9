import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { ContactController } from './contact.controller';
import { ContactExportService } from './contact-export.service';
import { CONTACT_IMPORT_INDEXES, ContactImportRepository } from './contact-import.repository';
import { ContactImport, ContactImportSchema } from './contact-import.schema';
import { ContactImportService } from './contact-import.service';
import { ContactImportThreads } from './contact-import-threads';
import { ContactImporter } from './contact-importer';
import { ContactTransferController } from './contact-transfer.controller';
import { withIndexes } from '../core/schema-indexes';
import { CONTACT_AUDIENCE_INDEXES, ContactRepository } from './contact.repository';
import { Contact, ContactSchema } from './contact.schema';
import { ContactService } from './contact.service';

/** Contact records and ContactService, without HTTP: for the worker and other features. */
@Module({
  imports: [
    MongooseModule.forFeature([{ name: Contact.name, schema: withIndexes(ContactSchema, CONTACT_AUDIENCE_INDEXES) }]),
  ],
  providers: [ContactRepository, ContactService],
  // The repository for the feature's own HTTP module (import and export); other features use ContactService.
  exports: [ContactService, ContactRepository],
})
export class ContactDataModule {}

/** /contacts over HTTP. */
@Module({
  imports: [ContactDataModule, MongooseModule.forFeature([{ name: ContactImport.name, schema: withIndexes(ContactImportSchema, CONTACT_IMPORT_INDEXES) }])],
  // The transfer routes first: /contacts/export and /contacts/imports/:id before /contacts/:id.
  controllers: [ContactTransferController, ContactController],
  providers: [ContactImportRepository, ContactImporter, ContactImportThreads, ContactImportService, ContactExportService],
  exports: [ContactDataModule],
})
export class ContactHttpModule {}
