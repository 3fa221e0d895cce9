import { INestApplication } from '@nestjs/common';
import { Permission, Role } from '../../src/auth/permissions';
import { TenancyService } from '../../src/auth/tenancy.service';
import { OperatorCredentialService } from '../../src/operator/operator-credential.service';

export interface TestTenant {
  clientId: string;
  apiKey: string;
  keyId: string;
  sessionId: string;
  accessToken: string;
  /** Authorization header with this tenant's key. */
  auth: { Authorization: string };
  /** Session headers (X-Session-Id / X-Access-Token). */
  session: { 'X-Session-Id': string; 'X-Access-Token': string };
}

/** A client with one API key (owner unless told otherwise) and one sandbox session. */
export async function createTenant(
  app: INestApplication,
  options: { name?: string; role?: Role; permissions?: Permission[] } = {},
): Promise<TestTenant> {
  const tenancy = app.get(TenancyService);
  const client = await tenancy.createClient(options.name ?? 'Test client');
  const clientId = client._id.toHexString();
  const key = await tenancy.issueApiKey(clientId, 'test key', options.role ?? Role.Owner, options.permissions ?? []);
  const session = await tenancy.createSession({ clientId, name: 'test session', provider: 'sandbox' });
  return {
    clientId,
    apiKey: key.key,
    keyId: key.id,
    sessionId: session.session_id,
    accessToken: session.access_token,
    auth: { Authorization: `Bearer ${key.key}` },
    session: { 'X-Session-Id': session.session_id, 'X-Access-Token': session.access_token },
  };
}

/** Another key for an existing client. */
export async function issueKey(app: INestApplication, clientId: string, role: Role, permissions: Permission[] = []): Promise<string> {
  return (await app.get(TenancyService).issueApiKey(clientId, 'extra key', role, permissions)).key;
}

/** An operator credential (what the CLI's operator:create prints): opens /admin/queues and /metrics. */
export async function issueOperatorCredential(app: INestApplication, name = 'test operator', expiresAt: Date | null = null): Promise<{ id: string; credential: string }> {
  const issued = await app.get(OperatorCredentialService).issue(name, expiresAt);
  return { id: issued.id, credential: issued.credential };
}
