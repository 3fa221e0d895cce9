import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..');

/** How a process run from source ended. */
export interface SourceRun {
  code: number | null;
  stdout: string;
  stderr: string;
  elapsedMs: number;
}

/**
 * Runs an entrypoint of the repository (`src/cli.ts`, `src/main.ts`...) from source, as `npm run cli`
 * does, with exactly the given environment (plus PATH), and answers once it exits; `killAfterMs`
 * kills one that does not.
 */
export function runFromSource(entry: string, env: Record<string, string>, args: string[] = [], killAfterMs?: number): Promise<SourceRun> {
  const started = Date.now();
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', join(ROOT, entry), ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', TS_NODE_PROJECT: join(ROOT, 'tsconfig.json'), ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const killer = killAfterMs === undefined ? null : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
  return new Promise((done) =>
    child.once('close', (code) => {
      if (killer) clearTimeout(killer);
      done({ code, stdout, stderr, elapsedMs: Date.now() - started });
    }),
  );
}
