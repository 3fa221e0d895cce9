import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { AddressInfo } from 'node:net';
import { ApiModule } from '../../src/api.module';
import { Role } from '../../src/auth/permissions';
import { TenancyService } from '../../src/auth/tenancy.service';
import { loadConfigOrExit } from '../../src/config';
import { configureHttpApp } from '../../src/http';

/** What the API child tells the bench once it listens. */
export interface UploadApiReady {
  port: number;
  apiKey: string;
  /** A sandbox session of the client (for benches that create broadcasts). */
  session: { id: string; accessToken: string };
}

/**
 * The API process of the upload bench: the real ApiModule on a free port, with one
 * client, key and sandbox session made for the run. Started by bench/attachment-upload.ts and
 * bench/broadcast-csv.ts (fork + IPC).
 */
async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const app = await NestFactory.create<NestExpressApplication>(ApiModule.forRoot(config), { bodyParser: false, logger: false, bufferLogs: true });
  configureHttpApp(app, config);
  await app.listen(0, '127.0.0.1');
  const tenancy = app.get(TenancyService);
  const client = await tenancy.createClient('upload bench');
  const key = await tenancy.issueApiKey(client._id.toHexString(), 'bench', Role.Owner, []);
  const session = await tenancy.createSession({ clientId: client._id.toHexString(), name: 'bench', provider: 'sandbox' });
  const ready: UploadApiReady = {
    port: (app.getHttpServer().address() as AddressInfo).port,
    apiKey: key.key,
    session: { id: session.session_id, accessToken: session.access_token },
  };
  process.on('message', (message) => {
    if (message === 'gc' && typeof global.gc === 'function') global.gc();
    // What the heap holds once collected: what a request kept, as opposed to garbage not yet collected.
    if (message === 'heap' && typeof global.gc === 'function') {
      global.gc();
      process.send?.({ heapUsed: process.memoryUsage().heapUsed });
    }
    if (message === 'stop') void app.close().then(() => process.exit(0));
  });
  process.send?.(ready);
}

void main();
