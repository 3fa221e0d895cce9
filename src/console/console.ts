import type { INestApplication } from '@nestjs/common';
import express from 'express';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { AppConfig } from '../config';

export const CONSOLE_PATH = '/console';

/** The project's root: the nearest folder above this file with a package.json (the same from src/ and from dist/src/). */
function projectRoot(from: string = __dirname): string {
  let folder = from;
  while (!existsSync(join(folder, 'package.json')) && dirname(folder) !== folder) folder = dirname(folder);
  return folder;
}

/** Where `npm run build` puts the console's bundle (scripts/build-console.ts). */
export const consoleAssetsDir = (): string => join(projectRoot(), 'dist', 'console');

/**
 * The console at /console (CONSOLE_ENABLED): static files only, built with the project, under the
 * app's Content-Security-Policy; a client of the public API like any other. Requests elsewhere never
 * reach it. Without a build, /console says how to make one.
 */
export function useConsole(app: INestApplication, config: AppConfig): void {
  if (!config.console.enabled) return;
  const assets = consoleAssetsDir();
  app.use(CONSOLE_PATH, express.static(assets, { index: 'index.html', maxAge: '5m', fallthrough: true }));
  app.use(CONSOLE_PATH, (_request: express.Request, response: express.Response) => {
    response
      .status(existsSync(join(assets, 'index.html')) ? 404 : 503)
      .type('text/plain')
      .send(existsSync(join(assets, 'index.html')) ? 'Not found\n' : 'The console is not built: run `npm run build` (it bundles src/console/web into dist/console)\n');
  });
}
