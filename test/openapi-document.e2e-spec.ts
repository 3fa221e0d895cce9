import type { NestExpressApplication } from '@nestjs/platform-express';
import type { OpenAPIObject } from '@nestjs/swagger';
import { DEADLINE_RESPONSE_DESCRIPTION } from '../src/http/request-deadline';
import { createPreviewApp } from '../src/openapi';
import { createOpenApiDocument } from '../src/swagger';

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

/** The OpenAPI document as /docs-json serves it, from the API's modules in preview mode (no MongoDB or Redis). */
describe('The OpenAPI document (e2e)', () => {
  let app: NestExpressApplication;
  let document: OpenAPIObject;

  beforeAll(async () => {
    app = await createPreviewApp();
    document = createOpenApiDocument(app);
  });
  afterAll(() => app?.close());

  const operations = () =>
    Object.entries(document.paths).flatMap(([path, item]) => HTTP_METHODS.flatMap((method) => (item[method] ? [{ name: `${method.toUpperCase()} ${path}`, operation: item[method] }] : [])));

  it("documents the request deadline's 503, with Retry-After, on every operation", () => {
    expect(operations().length).toBeGreaterThan(20);
    const without = operations().filter(({ operation }) => !operation.responses['503']);
    expect(without.map(({ name }) => name)).toEqual([]);
    expect(document.paths['/broadcast'].post!.responses['503']).toMatchObject({ description: DEADLINE_RESPONSE_DESCRIPTION, headers: { 'Retry-After': expect.anything() } });
  });

  it('keeps the 503 a route documents for itself (the health check names the dependency)', () => {
    expect(document.paths['/health'].get!.responses['503']).toMatchObject({ description: expect.stringContaining('did not answer within 2 s') });
  });
});
