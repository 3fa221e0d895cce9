// Bundles the console (src/console/web: Preact and uPlot) into dist/console: one script, one
// stylesheet and the page, served by the API at /console. Run by `npm run build` after `nest build`
// (which empties dist/), and by the console's browser test when the bundle is missing or stale.
import { build } from 'esbuild';
import { copyFileSync, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..');
const SOURCE = join(root, 'src', 'console', 'web');
export const CONSOLE_OUT = join(root, 'dist', 'console');

/** Newest modification time of the console's sources. */
function newestSource(path: string = SOURCE): number {
  const stats = statSync(path);
  if (!stats.isDirectory()) return stats.mtimeMs;
  return readdirSync(path).reduce((latest, name) => Math.max(latest, newestSource(join(path, name))), stats.mtimeMs);
}

/** Whether dist/console holds a bundle at least as new as every source. */
export function isConsoleBuilt(): boolean {
  const built = join(CONSOLE_OUT, 'console.js');
  return existsSync(built) && existsSync(join(CONSOLE_OUT, 'index.html')) && statSync(built).mtimeMs >= newestSource();
}

export async function buildConsole(): Promise<void> {
  mkdirSync(CONSOLE_OUT, { recursive: true });
  await build({
    entryPoints: { console: join(SOURCE, 'main.tsx') },
    outdir: CONSOLE_OUT,
    bundle: true,
    format: 'esm',
    target: 'es2022',
    minify: true,
    sourcemap: true,
    jsx: 'automatic',
    jsxImportSource: 'preact',
    tsconfig: join(SOURCE, 'tsconfig.json'),
    logLevel: 'warning',
  });
  copyFileSync(join(SOURCE, 'index.html'), join(CONSOLE_OUT, 'index.html'));
}

if (require.main === module) {
  buildConsole().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
