import type { DynamicModule, INestApplicationContext, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Command, InvalidArgumentError, Option } from 'commander';
import { InputValidationException } from '@app/common';
import { PROVIDER_NAMES, ProviderName } from '@app/whatsapp';
import { AuditLogDataModule } from './audit-log/audit-log.module';
import { AuditLogService, AuditChange } from './audit-log/audit-log.service';
import { AuthDataModule } from './auth/auth.module';
import { parseKeyLifetime } from './auth/key-lifetime';
import { Permission, PERMISSIONS, Role, ROLES } from './auth/permissions';
import { SessionRepository } from './auth/session.repository';
import { TenancyService } from './auth/tenancy.service';
import { BroadcastTemplateHoldModule } from './broadcast/broadcast.module';
import { LedgerEventsModule } from './event-webhook/event-webhook.module';
import { SANDBOX_SETTABLE_STATUSES } from './template/dto/template-query.dto';
import { TemplateCatalogue } from './template/template-catalogue';
import { TemplateDataModule } from './template/template.module';
import { MessagingLimitDataModule } from './messaging-limit/messaging-limit.module';
import { MessagingLimits } from './messaging-limit/messaging-limits';
import { RateCardError } from './rate-card/rate-card-csv';
import { RateCardDataModule } from './rate-card/rate-card.module';
import { RateCards } from './rate-card/rate-cards';
import { loadConfigOrExit, prepareEnvironment } from './config';
import { CoreModule } from './core/core.module';
import { ReachabilityAdvice } from './core/reachability';
import { exitUnlessReachable, failStartup } from './core/start-up';
import { useRunningLocalServices } from './local/embedded-services';
import { OperatorDataModule } from './operator/operator.module';
import { OperatorCredentialService } from './operator/operator-credential.service';

const CLI_ADVICE: ReachabilityAdvice = {
  mongo: 'is the service running? Start it with `npm run start:local`, or set MONGODB_URI to your deployment\'s MongoDB',
  redis: 'is the service running? Start it with `npm run start:local`, or set REDIS_URL to your deployment\'s Redis',
};

/** The services the commands call: the same ones the HTTP routes call. */
interface CliServices {
  tenancy: TenancyService;
  operators: OperatorCredentialService;
  /** Records a change to a client in its audit log: no key made it, so the actor is empty and the route names the command. */
  audit(clientId: string, change: AuditChange): Promise<void>;
}

/**
 * Administration from the command line: clients, API keys, sessions and operator credentials. The
 * first key of a client can only come from here. Prints JSON; secrets (keys, access tokens,
 * credentials) are shown once.
 */
async function withServices<T>(work: (services: CliServices) => Promise<T>): Promise<void> {
  return withApp([AuthDataModule, OperatorDataModule, AuditLogDataModule], (app) => {
    const auditLog = app.get(AuditLogService);
    const route = `cli ${process.argv[2] ?? ''}`.trim();
    return work({
      tenancy: app.get(TenancyService),
      operators: app.get(OperatorCredentialService),
      audit: (clientId, change) => auditLog.record({ clientId, actorKeyId: null, route, ip: null }, change),
    });
  });
}

/** The template catalogues, with what a status change sets off: broadcasts held or released, client events. */
async function withTemplates<T>(work: (templates: TemplateCatalogue, sessions: SessionRepository) => Promise<T>): Promise<void> {
  return withApp([AuthDataModule, TemplateDataModule, BroadcastTemplateHoldModule, LedgerEventsModule], (app) => work(app.get(TemplateCatalogue), app.get(SessionRepository)));
}

async function withApp<T>(features: Array<Type | DynamicModule>, work: (app: INestApplicationContext) => Promise<T>): Promise<void> {
  prepareEnvironment();
  const localModeRunning = useRunningLocalServices();
  if (!localModeRunning && !process.env.MONGODB_URI && !process.env.REDIS_URL) {
    await failStartup([
      'No running service found: start it first with `npm run start:local` (in another terminal), ' +
        'or set MONGODB_URI, REDIS_URL and CREDENTIALS_ENCRYPTION_KEY to those of your deployment',
    ]);
  }
  process.env.LOG_LEVEL ||= 'warn';
  const config = loadConfigOrExit();
  await exitUnlessReachable(config, CLI_ADVICE);
  const app = await NestFactory.createApplicationContext(
    { module: class CliModule {}, imports: [CoreModule.forRoot(config, 'cli'), ...features] },
    { logger: ['error', 'warn'] },
  );
  try {
    const result = await work(app);
    if (result !== undefined) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } finally {
    await app.close();
  }
}

function withTenancy<T>(work: (tenancy: TenancyService) => Promise<T>): Promise<void> {
  return withServices(({ tenancy }) => work(tenancy));
}

/** The names of the options a command was given (never their values), as an audit entry's fields. */
const optionNames = (options: object): string[] => Object.keys(options).filter((name) => name !== 'client' && name !== 'key');

function permissionList(value: string): Permission[] {
  const names = value.split(',').map((name) => name.trim()).filter(Boolean);
  const unknown = names.filter((name) => !PERMISSIONS.includes(name as Permission));
  if (unknown.length > 0) throw new InvalidArgumentError(`unknown permission(s) ${unknown.join(', ')}; known: ${PERMISSIONS.join(', ')}`);
  return names as Permission[];
}

function messagingLimit(value: string): number | null {
  return value.trim().toLowerCase() === 'none' ? null : positiveInteger(value);
}

function positiveInteger(value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1) throw new InvalidArgumentError('must be a whole number of 1 or more');
  return number;
}

function keyLifetime(value: string): number {
  const milliseconds = parseKeyLifetime(value);
  if (milliseconds === null) throw new InvalidArgumentError('must be a number of hours, days or weeks, e.g. 12h, 90d or 2w (at most 10 years)');
  return milliseconds;
}

/** A per-minute limit, or `default` to go back to the configured one (commander turns a parsed null into ''). */
function rateLimitOrDefault(value: string): number | 'default' {
  return value.trim().toLowerCase() === 'default' ? 'default' : positiveInteger(value);
}

const ownLimit = (value: number | 'default' | undefined): number | null | undefined => (value === 'default' ? null : value);

function credentialsJson(value: string): Record<string, string> {
  try {
    const parsed = JSON.parse(value) as unknown;
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
    return Object.fromEntries(Object.entries(parsed).map(([key, item]) => [key, String(item)]));
  } catch {
    throw new InvalidArgumentError('must be a JSON object, e.g. {"phone_number_id":"...","access_token":"..."}');
  }
}

const program = new Command('cli').description('Administer clients, API keys, sessions and operator credentials').showHelpAfterError();

program
  .command('quickstart')
  .description('Create a client with an owner key and a sandbox session, and print all three')
  .option('--name <name>', 'client name', 'My company')
  .action((options: { name: string }) =>
    withServices(async ({ tenancy, audit }) => {
      const client = await tenancy.createClient(options.name);
      const clientId = client._id.toHexString();
      const key = await tenancy.issueApiKey(clientId, 'owner key', Role.Owner);
      await audit(clientId, { kind: 'api-key', action: 'created', targetId: key.id });
      const session = await tenancy.createSession({ clientId, name: 'sandbox', provider: 'sandbox' });
      await audit(clientId, { kind: 'session', action: 'created', targetId: session.session_id });
      return { client_id: clientId, api_key: key.key, session_id: session.session_id, access_token: session.access_token };
    }),
  );

program
  .command('client:create')
  .description('Create a client (tenant)')
  .requiredOption('--name <name>', 'client name')
  .action((options: { name: string }) => withTenancy((tenancy) => tenancy.createClient(options.name)));

program
  .command('client:list')
  .description('List clients')
  .action(() => withTenancy((tenancy) => tenancy.listClients()));

program
  .command('key:issue')
  .description('Issue an API key; the key is printed once')
  .requiredOption('--client <id>', 'client id')
  .addOption(new Option('--role <role>', 'role').choices(ROLES).default(Role.Owner))
  .option('--permissions <list>', `extra permissions, comma-separated (${PERMISSIONS.join(', ')})`, permissionList, [])
  .option('--name <name>', 'a label for the key', 'api key')
  .option('--expires-in <duration>', 'refuse the key after this long: 12h, 90d, 2w (default: never expires)', keyLifetime)
  .option('--rate-limit <perMinute>', 'requests per minute for this key (default: RATE_LIMIT_PER_MINUTE)', positiveInteger)
  .option(
    '--expensive-rate-limit <perMinute>',
    'requests per minute to each expensive route (default: RATE_LIMIT_EXPENSIVE_PER_MINUTE, at most --rate-limit)',
    positiveInteger,
  )
  .action(
    (options: {
      client: string;
      role: Role;
      permissions: Permission[];
      name: string;
      expiresIn?: number;
      rateLimit?: number;
      expensiveRateLimit?: number;
    }) =>
      withServices(async ({ tenancy, audit }) => {
        const key = await tenancy.issueApiKey(options.client, options.name, options.role, options.permissions, {
          expiresAt: options.expiresIn === undefined ? null : new Date(Date.now() + options.expiresIn),
          rateLimits: { perMinute: options.rateLimit ?? null, expensivePerMinute: options.expensiveRateLimit ?? null },
        });
        await audit(options.client, { kind: 'api-key', action: 'created', targetId: key.id, fields: optionNames(options) });
        return key;
      }),
  );

program
  .command('key:set-rate-limit')
  .description("Change an API key's own requests-per-minute limits (`default` goes back to the configured one)")
  .requiredOption('--key <id>', 'key id (the 24 hex characters after "wak_")')
  .option('--rate-limit <perMinute|default>', 'requests per minute across all routes', rateLimitOrDefault)
  .option('--expensive-rate-limit <perMinute|default>', 'requests per minute to each expensive route', rateLimitOrDefault)
  .action((options: { key: string; rateLimit?: number | 'default'; expensiveRateLimit?: number | 'default' }, command: Command) => {
    if (options.rateLimit === undefined && options.expensiveRateLimit === undefined) {
      command.error('error: give --rate-limit and/or --expensive-rate-limit');
    }
    return withServices(async ({ tenancy, audit }) => {
      const key = await tenancy.setApiKeyRateLimits(options.key, {
        perMinute: ownLimit(options.rateLimit),
        expensivePerMinute: ownLimit(options.expensiveRateLimit),
      });
      await audit(await tenancy.clientOfApiKey(options.key), { kind: 'api-key', action: 'updated', targetId: key.id, fields: optionNames(options) });
      return key;
    });
  });

program
  .command('key:list')
  .description("List a client's API keys (never the keys themselves), with expiry, last use (to the minute) and limits")
  .requiredOption('--client <id>', 'client id')
  .action((options: { client: string }) => withTenancy((tenancy) => tenancy.listApiKeys(options.client)));

program
  .command('key:revoke')
  .description('Revoke an API key by its id')
  .requiredOption('--key <id>', 'key id (the 24 hex characters after "wak_")')
  .action((options: { key: string }) =>
    withServices(async ({ tenancy, audit }) => {
      await tenancy.revokeApiKey(options.key);
      await audit(await tenancy.clientOfApiKey(options.key), { kind: 'api-key', action: 'revoked', targetId: options.key });
      return { revoked: options.key };
    }),
  );

program
  .command('session:create')
  .description('Create a sending session; its access_token is printed once')
  .requiredOption('--client <id>', 'client id')
  .option('--name <name>', 'session name', 'default')
  .addOption(new Option('--provider <provider>', 'provider').choices(PROVIDER_NAMES).default('sandbox'))
  .option('--phone-number <digits>', 'sender phone number, digits only')
  .option('--rate-limit <perSecond>', 'messages per second (default: SESSION_RATE_LIMIT_PER_SECOND)', positiveInteger)
  .option('--credentials <json>', 'provider credentials as JSON (stored encrypted)', credentialsJson)
  .option('--portfolio <id>', 'business portfolio whose messaging limit the session shares (default: its own)')
  .addOption(
    new Option('--service-window <rule>', 'refuse free-form messages outside the 24-hour customer-service window (default: cloud-api on, sandbox off)').choices([
      'on',
      'off',
    ]),
  )
  .action(
    (options: {
      client: string;
      name: string;
      provider: ProviderName;
      phoneNumber?: string;
      rateLimit?: number;
      credentials?: Record<string, string>;
      serviceWindow?: 'on' | 'off';
      portfolio?: string;
    }) =>
      withServices(async ({ tenancy, audit }) => {
        const session = await tenancy.createSession({
          clientId: options.client,
          name: options.name,
          provider: options.provider,
          phoneNumber: options.phoneNumber ?? null,
          rateLimitPerSecond: options.rateLimit ?? null,
          credentials: options.credentials ?? null,
          enforceServiceWindow: options.serviceWindow === undefined ? null : options.serviceWindow === 'on',
          portfolioId: options.portfolio ?? null,
        });
        await audit(options.client, { kind: 'session', action: 'created', targetId: session.session_id, fields: optionNames(options) });
        return session;
      }),
  );

program
  .command('portfolio:limit')
  .description("Set a business portfolio's messaging limit: unique people per moving 24 hours (250, 2000, 10000, 100000), or `none`")
  .requiredOption('--client <id>', 'client id')
  .requiredOption('--portfolio <id>', "a session's portfolio_id (its own session id when it was created without one)")
  .requiredOption('--limit <people>', 'people per moving 24 hours, or none', messagingLimit)
  .action((options: { client: string; portfolio: string; limit: number | null }) =>
    withApp([AuthDataModule, MessagingLimitDataModule, AuditLogDataModule], async (app) => {
      const view = await app.get(MessagingLimits).setLimit(options.client, options.portfolio, options.limit, 'cli');
      await app.get(AuditLogService).record({ clientId: options.client, actorKeyId: null, route: 'cli portfolio:limit', ip: null }, { kind: 'portfolio', action: 'updated', targetId: options.portfolio, fields: ['messaging_limit'] });
      return view;
    }),
  );

program
  .command('rate-card:load')
  .description("Load Meta's published rate card (CSV: market, currency, marketing, utility, authentication, service, countries, effective_from); plans price with the newest card in force")
  .requiredOption('--file <csv>', 'path of the CSV file (see docs/messaging-limits.md#cost)')
  .action((options: { file: string }) => withApp([RateCardDataModule], (app) => app.get(RateCards).loadFile(options.file)));

program
  .command('template:sandbox-status')
  .description("Move a sandbox session's template to a status as Meta would (PAUSED pauses its broadcasts, APPROVED resumes them, DISABLED fails their pending recipients)")
  .requiredOption('--client <id>', 'client id')
  .requiredOption('--session <id>', 'sandbox session id')
  .requiredOption('--template <id>', 'template id (_id in GET /templates)')
  .addOption(new Option('--status <status>', 'new status').choices(SANDBOX_SETTABLE_STATUSES).makeOptionMandatory())
  .action((options: { client: string; session: string; template: string; status: string }) =>
    withTemplates(async (templates, sessions) => {
      const session = await sessions.findForClient(options.client, options.session);
      if (!session) throw new Error(`No session ${options.session} of client ${options.client}`);
      const { _id, name, language, status } = await templates.setSandboxStatus(session, options.template, options.status, null);
      return { _id, name, language, status };
    }),
  );

program
  .command('session:list')
  .description("List a client's sessions (never their tokens or credentials)")
  .requiredOption('--client <id>', 'client id')
  .action((options: { client: string }) => withTenancy((tenancy) => tenancy.listSessions(options.client)));

program
  .command('operator:create')
  .description('Create an operator credential (opens /admin/queues and /metrics, never tied to a client); printed once')
  .requiredOption('--name <name>', 'who or what uses it, e.g. "ops on-call"')
  .option('--expires-in <duration>', 'refuse it after this long: 12h, 90d, 2w (default: never expires)', keyLifetime)
  .action((options: { name: string; expiresIn?: number }) =>
    withServices(({ operators }) =>
      operators.issue(options.name, options.expiresIn === undefined ? null : new Date(Date.now() + options.expiresIn)),
    ),
  );

program
  .command('operator:list')
  .description('List operator credentials (never the credentials themselves)')
  .action(() => withServices(({ operators }) => operators.list()));

program
  .command('operator:revoke')
  .description('Revoke an operator credential by its id')
  .requiredOption('--id <id>', 'credential id (the 24 hex characters after "wop_")')
  .action((options: { id: string }) =>
    withServices(async ({ operators }) => {
      await operators.revoke(options.id);
      return { revoked: options.id };
    }),
  );

program.parseAsync(process.argv).catch((error: unknown) => {
  // Validation failures carry one line per problem (e.g. each missing credential); print those.
  const details = error instanceof InputValidationException ? error.details : error instanceof RateCardError ? error.problems : [];
  process.stderr.write(`${[error instanceof Error ? error.message : String(error), ...details].join('\n  ')}\n`);
  process.exit(1);
});
