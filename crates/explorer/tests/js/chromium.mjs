// What the explorer's browser scripts share: Debian's headless Chromium (via
// playwright-core) with a fresh profile in the output directory, full-page screenshots into
// it, and the trimmed text of the first element a selector finds.

import { chromium } from 'playwright-core';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';

export async function launch(outDir) {
  const context = await chromium.launchPersistentContext(mkdtempSync(join(outDir, 'profile-')), {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
    viewport: { width: 1280, height: 900 },
  });
  context.setDefaultTimeout(15000);
  return context;
}

export const screenshots = (outDir) => (page, name) =>
  page.screenshot({ path: join(outDir, `${name}.png`), fullPage: true });

export const text = async (page, selector) => (await page.locator(selector).first().textContent())?.trim();
