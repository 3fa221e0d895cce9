import { Global, Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { AuditLogController } from './audit-log.controller';
import { AuditLogRepository } from './audit-log.repository';
import { AuditLogEntry, AuditLogEntrySchema } from './audit-log.schema';
import { AuditLogService } from './audit-log.service';
import { AuditInterceptor } from './audited';

/** The audit trail's records and its service; global, so that any feature's routes can be @Audited. */
@Global()
@Module({
  imports: [MongooseModule.forFeature([{ name: AuditLogEntry.name, schema: AuditLogEntrySchema }])],
  providers: [AuditLogRepository, AuditLogService, AuditInterceptor],
  exports: [AuditLogRepository, AuditLogService, AuditInterceptor],
})
export class AuditLogDataModule {}

/** GET /audit-log. */
@Module({
  imports: [AuditLogDataModule],
  controllers: [AuditLogController],
})
export class AuditLogHttpModule {}
