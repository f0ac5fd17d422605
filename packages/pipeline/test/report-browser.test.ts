// The HTML report in a real browser (headless Chromium): an integration test (vitest.config.ts), since starting
// Chromium takes seconds.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '@nbpipe/test-support';
import { renderNotebookHtml } from '../src/report/html.js';
import { executedNotebook } from './report-fixture.js';

describe('HTML report in a browser', () => {
  const html = renderNotebookHtml(executedNotebook(), { title: 'sales.ipynb' });

  it.skipIf(!existsSync('/usr/bin/chromium'))('opens in headless Chromium with its images shown', async () => {
    const { chromium } = await import('playwright-core');
    const { dir, cleanup } = tempDir();
    const browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
    try {
      const file = join(dir, 'report.html');
      writeFileSync(file, html);
      const page = await browser.newPage();
      await page.goto(`file://${file}`);
      const images = await page.evaluate(() =>
        Array.from(document.images).map((img) => ({
          complete: img.complete,
          width: img.naturalWidth,
          height: img.naturalHeight,
        })),
      );
      expect(images).toEqual([{ complete: true, width: 2, height: 2 }]);
      expect(await page.locator('.cell.failed').count()).toBe(1);
      expect(await page.title()).toBe('sales.ipynb');
    } finally {
      await browser.close();
      cleanup();
    }
  });
});
