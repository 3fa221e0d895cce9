import { Module } from '@nestjs/common';
import { ModelDefinition, MongooseModule } from '@nestjs/mongoose';
import { AttachmentDataModule } from '../attachment';
import { AuthDataModule } from '../auth';
import { ContactDataModule } from '../contact/contact.module';
import { withIndexes } from '../core/schema-indexes';
import { ApiRequestLogController } from './api-request-log.controller';
import { API_REQUEST_LOG_INDEXES, ApiRequestLogRepository } from './api-request-log.repository';
import { ApiRequestLogService } from './api-request-log.service';
import { BROADCAST_RESULTS_INDEXES } from './broadcast-results.repository';
import { ContactMessagesController } from './contact-messages.controller';
import { CONTACT_MESSAGES_INDEXES, ContactMessagesRepository } from './contact-messages.repository';
import { ContactMessagesService } from './contact-messages.service';
import { InboundLedgerRepository } from './inbound-ledger.repository';
import { MessageLogController } from './message-log.controller';
import { MESSAGE_LOG_LIST_INDEXES, MessageLogListRepository } from './message-log-list.repository';
import { MessageLogRepository } from './message-log.repository';
import { MessageLog, MessageLogSchema } from './message-log.schema';
import { MessageLogService } from './message-log.service';

/** The ledger's collection: the write side's indexes (on the schema) and each read view's own. */
export const MESSAGE_LOG_MODEL = {
  name: MessageLog.name,
  schema: withIndexes(MessageLogSchema, [...MESSAGE_LOG_LIST_INDEXES, ...CONTACT_MESSAGES_INDEXES, ...API_REQUEST_LOG_INDEXES, ...BROADCAST_RESULTS_INDEXES]),
} satisfies ModelDefinition;

const ledgerCollection = MongooseModule.forFeature([MESSAGE_LOG_MODEL]);

/**
 * The ledger's write side (MessageLogRepository: the sending pipeline, delivery reports, sweeps,
 * retention), for every feature that writes the ledger; the collection for the read views.
 */
@Module({
  imports: [ledgerCollection],
  providers: [MessageLogRepository, InboundLedgerRepository],
  exports: [MessageLogRepository, InboundLedgerRepository, ledgerCollection],
})
export class MessageLogDataModule {}

/** The three read views of the ledger over HTTP (seeds 000, 003 and 004), each with its own repository. */
@Module({
  imports: [MessageLogDataModule, AuthDataModule, ContactDataModule, AttachmentDataModule],
  controllers: [MessageLogController, ContactMessagesController, ApiRequestLogController],
  providers: [
    MessageLogListRepository,
    ContactMessagesRepository,
    ApiRequestLogRepository,
    MessageLogService,
    ContactMessagesService,
    ApiRequestLogService,
  ],
})
export class MessageLogHttpModule {}
