// Drives the explorer's dashboard in headless Chromium (Debian's, via playwright-core):
// sign-in, the figures of a range as charts and tables, a bucket's link and a group's link
// to the search, and the form changed and sent again. Prints one JSON object with what the
// pages showed; the Rust test asserts on it.
//
// Usage: node dashboard.mjs BASE_URL TENANT USER PASSWORD OUT_DIR

import { launch, screenshots, text, axe } from './chromium.mjs';

const [base, tenant, user, password, outDir] = process.argv.slice(2);
const seen = {};
const shot = screenshots(outDir);
const context = await launch(outDir);
try {
  const page = await context.newPage();
  await page.goto(`${base}/ui/login?next=%2Fui%2Fdashboard`);
  const form = page.locator('#user-login');
  await form.locator('input[name=tenant]').fill(tenant);
  await form.locator('input[name=username]').fill(user);
  await form.locator('input[name=password]').fill(password);
  await form.locator('button[type=submit]').click();
  await page.waitForLoadState();
  seen.after_sign_in_url = page.url();
  seen.nav_here = await text(page, 'header.top nav a.here');

  // A chosen range, a bucket a day, handle time by agent.
  await page.goto(`${base}/ui/dashboard?from=2024-03-04&to=2024-03-06&interval=day&group=agent`);
  seen.offered_total = await text(page, '#offered-total');
  seen.volume_bars = await page.locator('#volume-chart svg rect').count();
  seen.volume_bars_visible = await page.locator('#volume-chart svg rect.offered').first().isVisible();
  seen.wait_lines = await page.locator('#waits-chart svg polyline.series').count();
  seen.threshold_lines = await page.locator('#waits-chart svg polyline.threshold').count();
  seen.wait_dots = await page.locator('#waits-chart svg circle').count();
  seen.aht_bars = await page.locator('#aht-chart svg rect').count();
  seen.volume_rows = await page.locator('#volume-table tbody tr').count();
  seen.waits_rows = await page.locator('#waits-table tbody tr').count();
  seen.group_rows = await page.locator('#groups-table tbody tr').count();
  seen.definitions = await text(page, '#definitions');
  seen.first_day_offered = await text(page, '#volume-table tbody tr td:nth-child(2)');
  await shot(page, '10-dashboard');
  seen.axe = await axe(page);

  // The first day's link: the search for the engagements that day.
  await page.locator('#volume-table a.bucket-link').first().click();
  await page.waitForLoadState();
  seen.bucket_url = page.url();
  seen.bucket_total = await text(page, '#total');
  await shot(page, '11-bucket');

  // An agent's link.
  await page.goBack();
  await page.waitForLoadState();
  await page.locator('#groups-table a.group-link').first().click();
  await page.waitForLoadState();
  seen.group_url = page.url();
  seen.group_total = await text(page, '#total');

  // The form, changed and sent: a bucket a week, handle time by queue.
  await page.goto(`${base}/ui/dashboard?from=2024-03-04&to=2024-03-06`);
  await page.selectOption('select[name=interval]', 'week');
  await page.selectOption('select[name=group]', 'queue');
  await page.click('#dashboard-button');
  await page.waitForLoadState();
  seen.week_url = page.url();
  seen.week_rows = await page.locator('#volume-table tbody tr').count();
  seen.week_groups = await text(page, '#groups-table tbody');
  await shot(page, '12-dashboard-week');
} catch (e) {
  seen.error = String(e && e.stack || e);
} finally {
  await context.close();
}
console.log(JSON.stringify(seen));
