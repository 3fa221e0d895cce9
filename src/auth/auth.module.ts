import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { MongooseModule } from '@nestjs/mongoose';
import { RateLimitGuard } from '../rate-limit/rate-limit.guard';
import { RateLimitHttpModule } from '../rate-limit/rate-limit.module';
import { ApiKeyController } from './api-key.controller';
import { ApiKeyGuard } from './api-key.guard';
import { ApiKeyRepository } from './api-key.repository';
import { ApiKey, ApiKeySchema } from './api-key.schema';
import { AuthService } from './auth.service';
import { ClientRepository } from './client.repository';
import { Client, ClientSchema } from './client.schema';
import { CredentialsCipher } from './credentials-cipher';
import { SessionController } from './session.controller';
import { SessionRepository } from './session.repository';
import { Session, SessionSchema } from './session.schema';
import { TenancyService } from './tenancy.service';

const persistence = MongooseModule.forFeature([
  { name: Client.name, schema: ClientSchema },
  { name: ApiKey.name, schema: ApiKeySchema },
  { name: Session.name, schema: SessionSchema },
]);

/** Clients, API keys and sessions: the records, their administration and request authentication. */
@Module({
  imports: [persistence],
  providers: [ClientRepository, ApiKeyRepository, SessionRepository, CredentialsCipher, AuthService, TenancyService],
  exports: [ClientRepository, SessionRepository, CredentialsCipher, AuthService, TenancyService],
})
export class AuthDataModule {}

/** AuthDataModule plus the global guards: what the HTTP process uses. */
@Module({
  imports: [AuthDataModule, RateLimitHttpModule],
  controllers: [SessionController, ApiKeyController],
  providers: [
    { provide: APP_GUARD, useClass: ApiKeyGuard },
    // In this order: the rate limit counts per key, which the API-key guard resolves first.
    { provide: APP_GUARD, useExisting: RateLimitGuard },
  ],
  exports: [AuthDataModule],
})
export class AuthHttpModule {}
