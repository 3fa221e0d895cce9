import { Global, Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { BroadcastDataModule } from '../broadcast/broadcast.module';
import { BROADCAST_AUDIENCE } from '../broadcast/broadcast-audience';
import { ContactDataModule } from '../contact/contact.module';
import { withIndexes } from '../core/schema-indexes';
import { AudienceSource } from './audience-source';
import { SegmentController } from './segment.controller';
import { SEGMENT_INDEXES, SegmentRepository } from './segment.repository';
import { Segment, SegmentSchema } from './segment.schema';
import { SegmentService } from './segment.service';

/**
 * Segments, and the broadcast feature's audience port (global, so that the broadcast service and
 * the fan-out see it): for the API and the worker.
 */
@Global()
@Module({
  imports: [MongooseModule.forFeature([{ name: Segment.name, schema: withIndexes(SegmentSchema, SEGMENT_INDEXES) }]), ContactDataModule, BroadcastDataModule],
  providers: [SegmentRepository, SegmentService, AudienceSource, { provide: BROADCAST_AUDIENCE, useExisting: AudienceSource }],
  exports: [SegmentService, BROADCAST_AUDIENCE],
})
export class AudienceDataModule {}

/** /segments over HTTP. */
@Module({
  imports: [AudienceDataModule],
  controllers: [SegmentController],
})
export class AudienceHttpModule {}
