#!/usr/bin/env node
// `npm run start:local` builds only when a source or build setting changed since dist/ was built.
const { execSync } = require('node:child_process');
const { existsSync, readdirSync, statSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const BUILT = join(root, 'dist', 'src', 'local.js');
const INPUTS = ['src', 'libs', 'package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'nest-cli.json'];

/** Newest modification time under a file or folder (0 when it does not exist). */
function newest(path) {
  if (!existsSync(path)) return 0;
  const stats = statSync(path);
  if (!stats.isDirectory()) return stats.mtimeMs;
  return readdirSync(path).reduce((latest, name) => Math.max(latest, newest(join(path, name))), stats.mtimeMs);
}

const builtAt = existsSync(BUILT) ? statSync(BUILT).mtimeMs : 0;
const changedAt = Math.max(...INPUTS.map((input) => newest(join(root, input))));
if (changedAt > builtAt) {
  process.stdout.write(builtAt ? 'Sources changed since the last build; building\n' : 'No build yet; building\n');
  execSync('npm run -s build', { cwd: root, stdio: 'inherit' });
}
