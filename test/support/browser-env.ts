import { execFileSync } from 'node:child_process';

/** Set by global-setup when no browser can start; read by describeWithBrowser. */
export const BROWSER_SKIP_REASON_VARIABLE = 'TEST_BROWSER_SKIP_REASON';

/** Debian's chromium package (installed by .ci/run); CHROMIUM_PATH names another build. */
export const chromiumPath = (): string => process.env.CHROMIUM_PATH || '/usr/bin/chromium';

/** Why no browser can start on this machine, or undefined when Chromium answers `--version`. */
export function browserUnavailableReason(): string | undefined {
  const path = chromiumPath();
  try {
    execFileSync(path, ['--version'], { stdio: 'ignore', timeout: 15_000 });
    return undefined;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return `no Chromium at ${path} (apt-get install chromium, or set CHROMIUM_PATH)`;
    const cause = (error instanceof Error ? error.message : String(error)).split('\n')[0].slice(0, 200);
    return `Chromium at ${path} does not start (${cause})`;
  }
}
