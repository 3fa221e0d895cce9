import { AppConfig } from '../config';
import { ReachabilityAdvice, unreachableServices } from './reachability';

type Cleanup = () => Promise<void>;

/**
 * Ends a failed start-up: its reasons on stderr, one line each, then what the process started
 * is stopped (local mode's embedded servers), then exit code 1.
 */
export async function failStartup(reasons: string[], cleanup?: Cleanup): Promise<never> {
  process.stderr.write(`${reasons.join('\n')}\n`);
  await cleanup?.().catch((error: unknown) => process.stderr.write(`While stopping: ${firstLine(error)}\n`));
  process.exit(1);
}

/** Before Nest starts: MongoDB and Redis answer, or the process ends within seconds saying which did not. */
export async function exitUnlessReachable(config: AppConfig, advice: ReachabilityAdvice, cleanup?: Cleanup): Promise<void> {
  const problems = await unreachableServices({ mongoUri: config.mongo.uri, redisUrl: config.redis.url }, advice);
  if (problems.length > 0) await failStartup(problems, cleanup);
}

/** For errors past the checks (a port in use, a module that cannot start): one line, not a stack trace. */
export function startupFailure(error: unknown): string {
  return `Start-up failed: ${firstLine(error)}`;
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0].slice(0, 300);
}
