import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Where Debian's `chromium` package (or PUPPETEER/CHROMIUM_PATH) puts the browser. */
const CANDIDATES = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

export const chromiumPath: string | undefined = CANDIDATES.find((path): path is string => path !== undefined && existsSync(path));

/**
 * Whether the browser tests run: always in CI (`.ci/run` installs Chromium, and a missing one must fail
 * there), elsewhere only when Chromium is installed, so `npm test` on a fresh laptop stays green.
 */
export const browserTestsRun = process.env.CI !== undefined || chromiumPath !== undefined;

export async function launchChromium(): Promise<Browser> {
  if (!chromiumPath) throw new Error('Chromium is not installed: apt-get install chromium (or set CHROMIUM_PATH)');
  return chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
}

/** Where the browser tests leave screenshots and measurements; CI keeps the folder (gitignored). */
export const artifactsDir = new URL('../../artifacts/', import.meta.url);

/** The console errors and uncaught exceptions of a page, as they happen. */
export function watchConsole(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));
  return errors;
}
