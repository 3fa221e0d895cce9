import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { OpenAPIObject } from '@nestjs/swagger';
import type { Page } from 'playwright-core';
import { useSecurityHeaders } from '../src/http';
import { createPreviewApp } from '../src/openapi';
import { setupSwagger } from '../src/swagger';
import { Browser, describeWithBrowser, launchBrowser } from './support/browser';

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
const RENDER_TIMEOUT_MS = 20_000;

/** One `METHOD /path` per operation block Swagger UI should show: operations appear once under each of their tags. */
function expectedOperationBlocks(document: OpenAPIObject): string[] {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    HTTP_METHODS.flatMap((method) => {
      const operation = item[method];
      if (!operation) return [];
      return (operation.tags?.length ? operation.tags : ['default']).map(() => `${method.toUpperCase()} ${path}`);
    }),
  );
}

async function renderedOperationBlocks(page: Page): Promise<string[]> {
  return page.$$eval('.opblock', (blocks) =>
    blocks.map((block) => {
      const method = block.querySelector('.opblock-summary-method')?.textContent?.trim() ?? '?';
      const path = block.querySelector('.opblock-summary-path')?.getAttribute('data-path') ?? '?';
      return `${method} ${path}`;
    }),
  );
}

describeWithBrowser('Docs page in headless Chromium', () => {
  let app: NestExpressApplication;
  let baseUrl: string;
  let browser: Browser;

  beforeAll(async () => {
    // The API's modules in preview mode serve /docs as the API process does, without MongoDB or Redis;
    // preview mode refuses app.listen(), so the app's own HTTP server is started directly.
    app = await createPreviewApp();
    // With the API's security headers, so that its Content-Security-Policy is what the page runs under.
    useSecurityHeaders(app);
    setupSwagger(app);
    const server: Server = app.getHttpServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  it('renders an operation block for every operation in /docs-json, with no script error', async () => {
    const openApi = (await (await fetch(`${baseUrl}/docs-json`)).json()) as OpenAPIObject;
    const expected = expectedOperationBlocks(openApi).sort();
    expect(expected.length).toBeGreaterThan(20);

    const page = await browser.context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    const cspViolations: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
    });
    await page.goto(`${baseUrl}/docs`);
    // A broken page never gets there; the assertions below then say why.
    await page
      .locator('.opblock')
      .nth(expected.length - 1)
      .waitFor({ timeout: RENDER_TIMEOUT_MS })
      .catch(() => undefined);

    expect(pageErrors).toEqual([]);
    expect(cspViolations).toEqual([]);
    expect((await renderedOperationBlocks(page)).sort()).toEqual(expected);
  });
});
