import { AppConfig } from './app-config';
import { loadEnvFile } from './env-file';
import { ConfigurationError, misspelledVariableWarnings } from './environment';

/**
 * First thing in every entrypoint: `.env` read into the environment (set variables win), and one
 * warning on stderr for each variable that looks like a misspelling of one this service reads.
 */
export function prepareEnvironment(env: NodeJS.ProcessEnv = process.env): void {
  loadEnvFile(env);
  for (const warning of misspelledVariableWarnings(env)) process.stderr.write(`Warning: ${warning}\n`);
}

/** Validates the environment or ends the process with one message naming every bad variable. */
export function loadConfigOrExit(env: NodeJS.ProcessEnv = process.env): AppConfig {
  try {
    return AppConfig.fromEnvironment(env);
  } catch (error) {
    if (error instanceof ConfigurationError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}
