import { existsSync, readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';

/**
 * Reads a `.env` file (ENV_FILE, else `.env` in the working directory) into the environment, as
 * dotenv does: a variable already set in the environment wins over the file. Returns the names it set.
 */
export function loadEnvFile(env: NodeJS.ProcessEnv = process.env, path = env.ENV_FILE || '.env'): string[] {
  if (!existsSync(path)) return [];
  const set: string[] = [];
  for (const [name, value] of Object.entries(parseEnv(readFileSync(path, 'utf8')))) {
    if (value === undefined || env[name] !== undefined) continue;
    env[name] = value;
    set.push(name);
  }
  return set;
}
