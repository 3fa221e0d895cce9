import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';

export const DOCS_PATH = 'docs';
export const DOCS_JSON_PATH = `${DOCS_PATH}-json`;

/**
 * What Swagger UI's init script embeds instead of the real document. @nestjs/swagger 11 puts the
 * document into that script with String.replace, where `$\`` or `$'` in any description splices in
 * other text and breaks the script (fixed in @nestjs/swagger 12, which needs Nest 12). Swagger UI
 * ignores an empty embedded spec and fetches its `url` instead.
 */
const NO_EMBEDDED_DOCUMENT = {} as OpenAPIObject;

/** The OpenAPI document of the app's controllers, with the three API-key schemes. */
export function createOpenApiDocument(app: INestApplication): OpenAPIObject {
  return SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('WhatsApp messaging backend')
      .setDescription(
        'Broadcasts and single WhatsApp messages sent by a background worker, with an exact ledger of every message. ' +
          'Authenticate with an API key in any of the three headers below. Session-scoped endpoints also take ' +
          'session_id + access_token in the body (JSON, or JSON text sent by curl --data), the query string, or the X-Session-Id / X-Access-Token headers.',
      )
      .setVersion('1.0')
      .setLicense('MIT', 'https://spdx.org/licenses/MIT.html')
      // Self-hosted: the API is wherever this document is served from.
      .addServer('/', 'The server that serves this document')
      // An API key (wak_...), not a JWT: Nest's default bearerFormat would say JWT.
      .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'API key (wak_...)', description: 'Authorization: Bearer <API key>' }, 'bearer')
      .addApiKey({ type: 'apiKey', in: 'header', name: 'ApiKey', description: 'ApiKey: <API key>' }, 'ApiKey')
      .addApiKey({ type: 'apiKey', in: 'header', name: 'x-api-key', description: 'x-api-key: <API key>' }, 'x-api-key')
      .build(),
  );
}

/** The OpenAPI document at /docs-json (and /docs-yaml), and Swagger UI at /docs, which fetches it from /docs-json. */
export function setupSwagger(app: INestApplication): void {
  SwaggerModule.setup(DOCS_PATH, app, createOpenApiDocument(app), { ui: false, jsonDocumentUrl: DOCS_JSON_PATH });
  // The UI loads the document as JSON over HTTP, so no description ever passes through a script template.
  SwaggerModule.setup(DOCS_PATH, app, NO_EMBEDDED_DOCUMENT, { raw: false, swaggerUrl: `/${DOCS_JSON_PATH}` });
}
