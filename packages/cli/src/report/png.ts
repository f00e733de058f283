/**
 * PNG copies of the charts for mail and tickets, rendered by a real browser
 * (Chromium through playwright-core) from the same SVG the HTML holds.
 * Playwright's own browser downloads are not used: give an installed
 * Chromium (Debian: `apt-get install chromium`, at /usr/bin/chromium).
 */
import { writeFile } from 'node:fs/promises';
import { CliError } from '../command-line/errors.js';
import { EXIT } from '../command-line/exit-codes.js';

export const DEFAULT_CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export interface PngJob {
  readonly svg: string;
  readonly path: string;
}

export async function writePngs(jobs: readonly PngJob[], chromiumPath: string, onEach: (path: string) => void = () => {}): Promise<void> {
  if (jobs.length === 0) return;
  const { chromium } = await import('playwright-core');
  let browser;
  try {
    browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox', '--disable-gpu'] });
  } catch (error) {
    const first = ((error as Error).message ?? String(error)).split('\n')[0];
    throw new CliError(EXIT.output, `cannot start Chromium at ${chromiumPath} for the PNG charts: ${first}\n  Install it (Debian: apt-get install chromium), give --chromium <path>, or skip PNGs with --no-png.`);
  }
  try {
    // Twice the pixels: charts stay sharp on high-density screens and in print.
    const page = await browser.newPage({ deviceScaleFactor: 2 });
    for (const job of jobs) {
      await page.setContent(`<!doctype html><html><body style="margin:0;background:#fff">${job.svg}</body></html>`);
      const png = await page.locator('svg').first().screenshot({ type: 'png' });
      try {
        await writeFile(job.path, png);
      } catch (error) {
        throw new CliError(EXIT.output, `cannot write ${job.path}: ${(error as Error).message}`);
      }
      onEach(job.path);
    }
  } finally {
    await browser.close();
  }
}
