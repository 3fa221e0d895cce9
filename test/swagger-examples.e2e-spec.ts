import { lookup } from 'node:dns/promises';
import { Types } from 'mongoose';
import { createOpenApiDocument } from '../src/swagger';
import { createTenant, TestTenant } from './support/factories';
import { describeWithMongo } from './support/mongo';
import { createTestApp, TestApp } from './support/test-app';

/**
 * Swagger UI's "Try it out" with the body it pre-fills, on a fresh quickstart: only `session_id` and
 * `access_token` are filled in, as a user does. Every JSON request body of the document (each named
 * example, or else the body Swagger UI composes from the schema's property examples) goes through the
 * app, validation pipe and services included. A route with an id in its path meets an id that does not
 * exist, so it may answer 404; nothing else may refuse it. Left out: routes without an API key (Meta signs
 * what it posts to /webhooks/whatsapp) and routes documented to refuse every request (405).
 */

const METHODS = ['post', 'put', 'patch', 'delete', 'get'] as const;
type Method = (typeof METHODS)[number];

type Schema = {
  $ref?: string;
  type?: string;
  format?: string;
  example?: unknown;
  default?: unknown;
  enum?: unknown[];
  properties?: Record<string, Schema>;
  items?: Schema;
  oneOf?: Schema[];
  anyOf?: Schema[];
  allOf?: Schema[];
  readOnly?: boolean;
};

interface MediaType {
  schema?: Schema;
  example?: unknown;
  examples?: Record<string, { value: unknown }>;
}

interface Operation {
  operationId?: string;
  security?: unknown[];
  responses: Record<string, unknown>;
  parameters?: Array<{ name: string; in: string; required?: boolean; example?: unknown; schema?: Schema }>;
  requestBody?: { content: Record<string, MediaType> };
}

/** What Swagger UI pre-fills from a schema: examples first, then defaults, enums' first values, and type samples. */
function sample(schema: Schema, components: Record<string, Schema>): unknown {
  if (schema.$ref) return sample(components[schema.$ref.replace('#/components/schemas/', '')], components);
  if (schema.example !== undefined) return schema.example;
  if (schema.default !== undefined) return schema.default;
  if (schema.enum?.length) return schema.enum[0];
  const choice = schema.oneOf?.[0] ?? schema.anyOf?.[0];
  if (choice) return sample(choice, components);
  if (schema.allOf) return Object.assign({}, ...schema.allOf.map((part) => sample(part, components)));
  if (schema.type === 'array') return schema.items ? [sample(schema.items, components)] : [];
  if (schema.type === 'object' || schema.properties) {
    return Object.fromEntries(
      Object.entries(schema.properties ?? {})
        .filter(([, property]) => !property.readOnly)
        .map(([name, property]) => [name, sample(property, components)]),
    );
  }
  if (schema.type === 'integer' || schema.type === 'number') return 0;
  if (schema.type === 'boolean') return true;
  return schema.format === 'date-time' ? new Date().toISOString() : 'string';
}

/** The bodies Swagger UI offers for a media type: its named examples, its example, or the composed one. */
function offeredBodies(media: MediaType, components: Record<string, Schema>): Array<[string, unknown]> {
  if (media.examples) return Object.entries(media.examples).map(([name, { value }]) => [name, value]);
  if (media.example !== undefined) return [['example', media.example]];
  return media.schema ? [['composed from the schema', sample(media.schema, components)]] : [];
}

describeWithMongo('Swagger request examples, tried out as pre-filled (e2e)', () => {
  let t: TestApp;
  let tenant: TestTenant;
  const cases: Array<{ method: Method; path: string; name: string; body: unknown; hasPathId: boolean }> = [];
  /** Event webhook URLs must resolve to a public address: the example's host needs DNS, which an offline machine lacks. */
  let dnsReason: string | undefined;
  let bearerFormat: unknown;

  beforeAll(async () => {
    t = await createTestApp();
    tenant = await createTenant(t.app, { name: 'Swagger reader' });
    const document = createOpenApiDocument(t.app);
    const components = (document.components?.schemas ?? {}) as Record<string, Schema>;
    bearerFormat = (document.components?.securitySchemes?.bearer as { bearerFormat?: string } | undefined)?.bearerFormat;
    dnsReason = await lookup('example.com').then(
      () => undefined,
      (error: Error) => `example.com does not resolve here (${error.message})`,
    );
    if (dnsReason) process.stdout.write(`\nSwagger examples of /webhook-endpoints not tried: ${dnsReason}\n`);
    for (const [path, item] of Object.entries(document.paths)) {
      for (const method of METHODS) {
        const operation = (item as Record<string, Operation | undefined>)[method];
        const media = operation?.requestBody?.content['application/json'];
        if (!operation || !media || operation.security?.length === 0 || '405' in operation.responses) continue;
        if (dnsReason && path.startsWith('/webhook-endpoints')) continue;
        for (const [name, body] of offeredBodies(media, components)) cases.push({ method, path, name, body, hasPathId: path.includes('{') });
      }
    }
  });
  afterAll(() => t.close());

  it('finds the JSON bodies of the sending routes (POST /broadcast, POST /v1/messages)', () => {
    expect(cases.map(({ method, path }) => `${method} ${path}`)).toEqual(
      expect.arrayContaining(['post /broadcast', 'post /v1/messages', 'post /contacts', 'post /api/whatsapp-log/get-list']),
    );
    expect(cases.filter(({ path }) => path === '/broadcast').map(({ name }) => name)).toEqual(['text', 'personalised', 'location']);
  });

  it('names the bearer scheme for what it carries, an API key (not a JWT)', () => {
    expect(bearerFormat).toBe('API key (wak_...)');
  });

  it('each pre-filled body, with the session filled in, is accepted (or meets a 404 for an id that does not exist)', async () => {
    const refused: string[] = [];
    for (const { method, path, name, body, hasPathId } of cases) {
      const filled = typeof body === 'object' && body !== null && !Array.isArray(body) ? { ...body } : body;
      if (filled && typeof filled === 'object' && 'session_id' in filled) Object.assign(filled, { session_id: tenant.sessionId, access_token: tenant.accessToken });
      const url = path.replace(/\{[^}]+\}/g, new Types.ObjectId().toHexString());
      const answer = await t.http[method](url).set(tenant.auth).set(tenant.session).send(filled as object);
      const accepted = answer.status < 300 || (hasPathId && answer.status === 404);
      if (!accepted) refused.push(`${method.toUpperCase()} ${path} (${name}): ${answer.status} ${JSON.stringify(answer.body).slice(0, 300)}`);
    }
    expect(refused).toEqual([]);
  });
});
