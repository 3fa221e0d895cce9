import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import { buildConsole, isConsoleBuilt } from '../scripts/build-console';
import { AppConfig } from '../src/config';
import { useConsole } from '../src/console/console';
import { useSecurityHeaders } from '../src/http';
import { createPreviewApp } from '../src/openapi';

/** The API's modules in preview mode (no MongoDB, no Redis) with its security headers and, as configured, the console. */
async function appWithConsole(enabled: boolean): Promise<NestExpressApplication> {
  const config = AppConfig.fromEnvironment({
    MONGODB_URI: 'mongodb://preview.invalid/none',
    REDIS_URL: 'redis://preview.invalid',
    CREDENTIALS_ENCRYPTION_KEY: Buffer.alloc(32).toString('base64'),
    CONSOLE_ENABLED: String(enabled),
  });
  const app = await createPreviewApp();
  useSecurityHeaders(app);
  useConsole(app, config);
  await app.init();
  return app;
}

describe('Console assets at /console (no database)', () => {
  beforeAll(async () => {
    if (!isConsoleBuilt()) await buildConsole();
  });

  it('serves the page and its bundle from the app itself, under a CSP that allows no inline script', async () => {
    const app = await appWithConsole(true);
    try {
      const page = await request(app.getHttpServer()).get('/console/').expect(200);
      expect(page.headers['content-type']).toMatch(/^text\/html/);
      expect(page.text).toContain('<script type="module" src="/console/console.js"></script>');
      expect(page.text).not.toMatch(/<script>|https?:\/\//);
      const csp = String(page.headers['content-security-policy']);
      expect(csp).toMatch(/script-src 'self'/);
      expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
      const script = await request(app.getHttpServer()).get('/console/console.js').expect(200);
      expect(script.headers['content-type']).toMatch(/javascript/);
      // Without the trailing slash: sent to the page.
      await request(app.getHttpServer()).get('/console').expect(301).expect('Location', '/console/');
      await request(app.getHttpServer()).get('/console/console.css').expect(200).expect('Content-Type', /css/);
      await request(app.getHttpServer()).get('/console/missing.js').expect(404);
    } finally {
      await app.close();
    }
  });

  it('serves nothing at /console with CONSOLE_ENABLED=false', async () => {
    const app = await appWithConsole(false);
    try {
      await request(app.getHttpServer()).get('/console/').expect(404);
      await request(app.getHttpServer()).get('/console/console.js').expect(404);
    } finally {
      await app.close();
    }
  });
});
