// What the explorer's browser scripts share: Debian's headless Chromium (via
// playwright-core) with a fresh profile in the output directory, full-page screenshots into
// it, the trimmed text of the first element a selector finds, axe-core's accessibility
// check of a page, and whether a page fits a phone's width.

import { chromium } from 'playwright-core';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

export const WIDE = { width: 1366, height: 900 };
export const PHONE = { width: 390, height: 844 };

export async function launch(outDir) {
  const context = await chromium.launchPersistentContext(mkdtempSync(join(outDir, 'profile-')), {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
    viewport: WIDE,
  });
  context.setDefaultTimeout(15000);
  return context;
}

export const screenshots = (outDir) => (page, name) =>
  page.screenshot({ path: join(outDir, `${name}.png`), fullPage: true });

export const text = async (page, selector) => (await page.locator(selector).first().textContent())?.trim();

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

// axe-core's serious and critical findings on the page as it is, one line each ("rule:
// selector"); evaluated through the DevTools protocol, so the page's CSP (no scripts) is
// kept as it is.
export async function axe(page) {
  await page.evaluate(axeSource);
  const found = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .flatMap((v) => v.nodes.map((n) => `${v.id} (${v.impact}): ${n.target.join(' ')}`));
  });
  return found;
}

// Whether the page fits the viewport's width (nothing makes the page itself scroll
// sideways) and the sign-out button, if any, is in view.
export async function fits(page) {
  return page.evaluate(() => {
    const width = window.innerWidth;
    const out = document.getElementById('sign-out');
    const r = out && out.getBoundingClientRect();
    // What sticks out, to say in a failure.
    // (Inside a box that scrolls sideways is not out.)
    const over = [...document.querySelectorAll('body *')]
      .filter((e) => e.getBoundingClientRect().right > width + 1 && !e.closest('.scroll'))
      .slice(0, 3)
      .map((e) => `${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''}.${[...e.classList].join('.')}`);
    return {
      page_width: document.documentElement.scrollWidth,
      sticking_out: over,
      viewport: width,
      fits: document.documentElement.scrollWidth <= width,
      sign_out_visible: !out || (r.left >= 0 && r.right <= width && r.width > 0),
    };
  });
}
