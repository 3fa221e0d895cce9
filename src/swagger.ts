import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';

export const DOCS_PATH = 'docs';

/** Swagger UI at /docs and the OpenAPI document at /docs-json, with the three API-key schemes. */
export function setupSwagger(app: INestApplication): void {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('WhatsApp messaging backend')
      .setDescription(
        'Broadcasts and single WhatsApp messages sent by a background worker, with an exact ledger of every message. ' +
          'Authenticate with an API key in any of the three headers below. Session-scoped endpoints also take ' +
          'session_id + access_token in the JSON body, the query string, or the X-Session-Id / X-Access-Token headers.',
      )
      .setVersion('1.0')
      .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'Authorization: Bearer <API key>' }, 'bearer')
      .addApiKey({ type: 'apiKey', in: 'header', name: 'ApiKey', description: 'ApiKey: <API key>' }, 'ApiKey')
      .addApiKey({ type: 'apiKey', in: 'header', name: 'x-api-key', description: 'x-api-key: <API key>' }, 'x-api-key')
      .build(),
  );
  SwaggerModule.setup(DOCS_PATH, app, document, { jsonDocumentUrl: `${DOCS_PATH}-json` });
}
