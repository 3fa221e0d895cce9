import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { RateLimitHttpModule } from '../rate-limit/rate-limit.module';
import { OperatorAccess } from './operator-access';
import { OperatorCredential, OperatorCredentialSchema } from './operator-credential.schema';
import { OperatorCredentialRepository } from './operator-credential.repository';
import { OperatorCredentialService } from './operator-credential.service';

/** Operator credentials: the records and their administration (the CLI's, and the checks below). */
@Module({
  imports: [MongooseModule.forFeature([{ name: OperatorCredential.name, schema: OperatorCredentialSchema }])],
  providers: [OperatorCredentialRepository, OperatorCredentialService],
  exports: [OperatorCredentialService],
})
export class OperatorDataModule {}

/** The check the operator's HTTP pages run before anything else (the queue dashboard, /metrics). */
@Module({
  imports: [OperatorDataModule, RateLimitHttpModule],
  providers: [OperatorAccess],
  exports: [OperatorAccess],
})
export class OperatorHttpModule {}
