import { Module } from '@nestjs/common';
import { AuthDataModule } from '../auth/auth.module';
import { CloudApiAccounts } from './cloud-api-accounts';
import { RedisMediaIdCache } from './redis-media-id-cache';

/** Cloud API sessions as the app sees them: credentials, providers and the shared media-id cache. */
@Module({
  imports: [AuthDataModule],
  providers: [CloudApiAccounts, RedisMediaIdCache],
  exports: [CloudApiAccounts],
})
export class CloudApiDataModule {}
