import { AppConfig } from './app-config';
import { ConfigurationError } from './environment';

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
