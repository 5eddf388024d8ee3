// Drives the explorer in headless Chromium (Debian's, via playwright-core) the way a
// person would: a wrong password, sign-in, the overview, a filtered search and its next
// page, an engagement, a customer's journey, another tenant's engagement, sign-out.
// Prints one JSON object with what each page showed; the Rust test asserts on it.
//
// Usage: node browser.mjs BASE_URL TENANT USER PASSWORD OTHER_TENANT_ENGAGEMENT_ID OUT_DIR

import { launch, screenshots, text } from './chromium.mjs';

const [base, tenant, user, password, foreignId, outDir] = process.argv.slice(2);
const seen = {};
const shot = screenshots(outDir);
const context = await launch(outDir);
try {
  const page = await context.newPage();

  // Not signed in: the explorer sends the browser to the sign-in page.
  await page.goto(`${base}/ui`);
  seen.unsigned_url = page.url();
  await shot(page, '01-login');

  const signIn = async (pw) => {
    const form = page.locator('#user-login');
    await form.locator('input[name=tenant]').fill(tenant);
    await form.locator('input[name=username]').fill(user);
    await form.locator('input[name=password]').fill(pw);
    await form.locator('button[type=submit]').click();
    await page.waitForLoadState();
  };
  await signIn('not the password');
  seen.wrong_password_alert = await text(page, '[role=alert]');
  seen.wrong_password_url = page.url();
  await shot(page, '02-wrong-password');

  await signIn(password);
  seen.overview_url = page.url();
  seen.overview_total = await text(page, '#total-90');
  seen.overview_legend = await text(page, 'figure.chart figcaption');
  seen.overview_outcomes = await text(page, 'table.outcomes tbody');
  seen.overview_bars = await page.locator('figure.chart > svg rect').count();
  const cookies = await context.cookies();
  seen.session_cookie = cookies.find((c) => c.name === 'interlog_ui') ?? null;
  await shot(page, '03-overview');

  // Search: voice, inbound, two a page.
  await page.click('nav a[href="/ui/engagements"]');
  await page.locator('input[name=channel_type][value=voice]').check();
  await page.selectOption('select[name=direction]', 'inbound');
  await page.selectOption('select[name=limit]', '25');
  await page.fill('input[name=agent]', 'ann@acme.test');
  await page.click('#search-button');
  await page.waitForLoadState();
  seen.search_url = page.url();
  seen.search_total = await text(page, '#total');
  seen.search_rows = await page.locator('table.results tbody tr').count();
  await shot(page, '04-search');
  // The same search by its URL (a bookmark), two a page, then the next page.
  await page.goto(`${base}/ui/engagements?channel_type=voice&direction=inbound&limit=2`);
  seen.page1_rows = await page.locator('table.results tbody tr').count();
  seen.page1_first = await text(page, 'table.results tbody tr td');
  await page.click('#next-page');
  await page.waitForLoadState();
  seen.page2_rows = await page.locator('table.results tbody tr').count();
  seen.page2_first = await text(page, 'table.results tbody tr td');
  seen.page2_has_next = (await page.locator('#next-page').count()) > 0;
  await shot(page, '05-page-2');

  // An engagement, from a search for it.
  await page.goto(`${base}/ui/engagements?channel_type=chat`);
  await page.locator('a.engagement-link').first().click();
  await page.waitForLoadState();
  seen.engagement_id = await text(page, '#engagement-id');
  seen.engagement_participants = await text(page, '#participants');
  seen.engagement_transcript = await text(page, '#transcript');
  seen.engagement_apis = await text(page, '#apis');
  await shot(page, '06-engagement');

  // The customer's journey, from the engagement's customer.
  await page.locator('a.journey-link').first().click();
  await page.waitForLoadState();
  seen.journey_count = await text(page, '#journey-count');
  seen.journey_identifiers = await text(page, '#identifiers');
  seen.journey_dots = await page.locator('figure.timeline > svg circle').count();
  seen.journey_badges = await text(page, 'table.journey tbody');
  await shot(page, '07-journey');

  // Another tenant's engagement.
  const foreign = await page.goto(`${base}/ui/engagements/${encodeURIComponent(foreignId)}`);
  seen.foreign_status = foreign.status();
  seen.foreign_text = await text(page, '#problem');
  await shot(page, '08-foreign');

  // Sign out, and the session is gone.
  await page.click('#sign-out');
  await page.waitForLoadState();
  seen.signed_out_url = page.url();
  await page.goto(`${base}/ui/engagements`);
  seen.after_sign_out_url = page.url();
  await shot(page, '09-signed-out');
} catch (e) {
  seen.error = String(e && e.stack || e);
} finally {
  await context.close();
}
console.log(JSON.stringify(seen));
