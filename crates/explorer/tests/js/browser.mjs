// Drives the explorer in headless Chromium (Debian's, via playwright-core) the way a
// person would: a wrong password, sign-in, the overview and a bar of its chart, a queue's
// chart and one of its bars, a filtered
// search and its pages both ways, a refused search, the CSV download, an engagement, a
// customer's journey (and an unknown and an over-long identifier), a wrong address,
// another tenant's engagement; then every page again at a phone's width (390 px); then
// sign-out. axe-core checks every page at both widths. Prints one JSON object with what
// each page showed; the Rust test asserts on it.
//
// Usage: node browser.mjs BASE_URL TENANT USER PASSWORD OTHER_TENANT_ENGAGEMENT_ID OUT_DIR

import { launch, screenshots, text, axe, fits, PHONE, WIDE } from './chromium.mjs';

const [base, tenant, user, password, foreignId, outDir] = process.argv.slice(2);
const seen = { axe: {}, phone: {} };
const shot = screenshots(outDir);
const context = await launch(outDir);
// A screenshot and axe's serious and critical findings, by the page's name.
const look = async (page, name) => {
  await shot(page, name);
  seen.axe[name] = await axe(page);
};
try {
  const page = await context.newPage();

  // Not signed in: the explorer sends the browser to the sign-in page.
  await page.goto(`${base}/ui`);
  seen.unsigned_url = page.url();
  await look(page, '01-login');

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
  seen.overview_bars = await page.locator('figure.chart svg a.bar-link rect').count();
  seen.overview_ticks = await page.locator('figure.chart svg line.grid').count();
  const cookies = await context.cookies();
  seen.session_cookie = cookies.find((c) => c.name === 'interlog_ui') ?? null;
  await look(page, '03-overview');
  // A bar opens the search of what it counts.
  await page.locator('figure.chart svg a.bar-link').first().click();
  await page.waitForLoadState();
  seen.bar_url = page.url();
  seen.bar_total = await text(page, '#total');
  // Another range.
  await page.goto(`${base}/ui?from=2000-01-02&to=2000-01-01`);
  seen.overview_range_error = await text(page, '#to-error');
  // A queue's visits per day: the queue chosen by name from the field's suggestions, then a
  // bar followed to the search of that queue's engagements of that day.
  await page.goto(`${base}/ui`);
  seen.overview_queue_list = await page.locator('input[name=queue]').getAttribute('list');
  seen.overview_queue_options = await page.locator('#queue-names option').evaluateAll((os) => os.map((o) => o.value));
  await page.locator('input[name=queue]').pressSequentially('bil');
  const queue = seen.overview_queue_options.find((v) => v.toLowerCase().startsWith('bil'));
  await page.fill('input[name=queue]', queue ?? 'bil');
  await page.click('#overview-button');
  await page.waitForLoadState();
  seen.queue_overview_url = page.url();
  seen.queue_overview_heading = await text(page, '#queue-heading');
  seen.queue_overview_total = await text(page, '#total-90');
  seen.queue_overview_lead = await text(page, 'p.lead');
  seen.queue_overview_legend = await text(page, 'figure.chart figcaption');
  seen.queue_overview_bars = await page.locator('figure.chart svg a.bar-link rect').count();
  await look(page, '03b-overview-queue');
  await page.locator('figure.chart svg a.bar-link').first().click();
  await page.waitForLoadState();
  seen.queue_bar_url = page.url();
  seen.queue_bar_total = await text(page, '#total');
  // The search links to itself (the saved search).
  seen.search_link = await page.locator('#search-link').getAttribute('href');
  seen.search_link_text = await text(page, '#search-link');

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
  seen.search_agents = await text(page, 'table.results tbody td.agents');
  await look(page, '04-search');
  // The same search by its URL (a bookmark), two a page, then the next page and back.
  await page.goto(`${base}/ui/engagements?channel_type=voice&direction=inbound&limit=2`);
  seen.page1_rows = await page.locator('table.results tbody tr').count();
  seen.page1_first = await text(page, 'table.results tbody tr td');
  seen.page1_position = await text(page, '#position');
  await page.click('#next-page');
  await page.waitForLoadState();
  seen.page2_rows = await page.locator('table.results tbody tr').count();
  seen.page2_first = await text(page, 'table.results tbody tr td');
  seen.page2_has_next = (await page.locator('#next-page').count()) > 0;
  seen.page2_position = await text(page, '#position');
  await look(page, '05-page-2');
  await page.click('#next-page');
  await page.waitForLoadState();
  seen.page3_position = await text(page, '#position');
  await page.click('#previous-page');
  await page.waitForLoadState();
  seen.back_to_2_first = await text(page, 'table.results tbody tr td');
  seen.back_to_2_position = await text(page, '#position');
  await page.click('#previous-page');
  await page.waitForLoadState();
  seen.back_to_1_first = await text(page, 'table.results tbody tr td');
  seen.back_to_1_has_previous = (await page.locator('#previous-page').count()) > 0;
  // A clickable agent cell searches for the agent.
  await page.locator('td.agents a.agent-link').first().click();
  await page.waitForLoadState();
  seen.agent_cell_url = page.url();

  // A refused search: the error by its field, under the field's label.
  const refused = await page.goto(
    `${base}/ui/engagements?started_from=2024-05-02T00:00&started_to=2024-05-01T00:00`,
  );
  seen.refused_status = refused.status();
  seen.refused_field_error = await text(page, 'label:has(input[name=started_to]) .field-error');
  seen.refused_alert = await text(page, '#search-error');
  await look(page, '05b-refused');

  // A queue by its name: the field suggests the tenant's queues (a datalist the server
  // fills); typing the start of one and taking the suggestion (the browser's own popup,
  // outside the page, so taken here as the value it puts in the field) searches for it.
  await page.goto(`${base}/ui/engagements`);
  seen.queue_field_list = await page.locator('input[name=queue_id]').getAttribute('list');
  seen.queue_options = await page.locator('#queue-names option').evaluateAll((os) => os.map((o) => o.value));
  seen.agent_options = await page.locator('#agent-names option').evaluateAll((os) => os.map((o) => o.value));
  await page.locator('input[name=queue_id]').pressSequentially('bil');
  const picked = seen.queue_options.find((v) => v.toLowerCase().startsWith('bil'));
  await page.fill('input[name=queue_id]', picked ?? 'bil');
  await page.click('#search-button');
  await page.waitForLoadState();
  seen.queue_search_url = page.url();
  seen.queue_search_total = await text(page, '#total');
  seen.queue_search_queues = await text(page, 'table.results tbody td.queues');
  await look(page, '05c-queue-by-name');
  // The end of a phone number.
  await page.goto(`${base}/ui/engagements?customer=555%200100`);
  seen.phone_end_total = await text(page, '#total');

  // The search as CSV.
  await page.goto(`${base}/ui/engagements?channel_type=voice&direction=inbound&limit=2`);
  const csvHref = await page.locator('#csv').getAttribute('href');
  const csv = await page.request.get(`${base}${csvHref}`);
  seen.csv_type = csv.headers()['content-type'];
  seen.csv_lines = (await csv.text()).trim().split('\r\n').length;

  // An engagement, from a search for it.
  await page.goto(`${base}/ui/engagements?channel_type=chat`);
  await page.locator('a.engagement-link').first().click();
  await page.waitForLoadState();
  seen.engagement_heading = await text(page, '#heading');
  seen.engagement_id = await text(page, '#engagement-id');
  seen.engagement_outcome = await text(page, '#outcome');
  seen.engagement_release = await text(page, '#release');
  seen.engagement_participants = await text(page, '#participants');
  seen.engagement_queue_agent = await text(page, '#queues .agent-name');
  seen.engagement_audio = await page.locator('#recordings audio').count();
  seen.engagement_recording_link = await page.locator('#recordings a.recording-link').getAttribute('href');
  seen.engagement_transcript = await text(page, '#transcript');
  seen.engagement_events = await text(page, '#transcript li.event');
  seen.engagement_apis_open = await page.locator('#apis').evaluate((d) => d.open);
  seen.engagement_apis = await text(page, '#apis');
  await look(page, '06-engagement');

  // The customer's journey, from the engagement's customer.
  await page.locator('a.journey-link').first().click();
  await page.waitForLoadState();
  seen.journey_name = await text(page, '#customer-name');
  seen.journey_count = await text(page, '#journey-count');
  seen.journey_identifiers = await text(page, '#identifiers');
  seen.journey_dots = await page.locator('figure.timeline svg a.dot-link circle').count();
  const xs = await page.locator('figure.timeline svg a.dot-link circle').evaluateAll(
    (cs) => cs.map((c) => Number(c.getAttribute('cx'))),
  );
  // The list is newest first; the timeline puts the newest on the right.
  seen.journey_newest_right = xs.length > 1 && xs[0] > xs[xs.length - 1];
  seen.journey_badges = await text(page, 'table.journey tbody');
  // The timeline's links are reached by keyboard.
  await page.locator('figure.timeline svg a.dot-link').first().focus();
  seen.journey_dot_focused = await page.evaluate(() => document.activeElement?.classList.contains('dot-link') ?? false);
  await look(page, '07-journey');
  await page.goto(`${base}/ui/journey?customer=nobody%40nowhere.test`);
  seen.journey_empty = await text(page, '#journey-empty');
  await look(page, '07b-journey-empty');
  const long = await page.goto(`${base}/ui/journey?customer=${'x'.repeat(5000)}`);
  seen.journey_long_status = long.status();
  seen.journey_long_form = await page.locator('#journey-form').count();
  seen.journey_long_error = await text(page, '#customer-error');

  // An address the explorer does not have.
  const nope = await page.goto(`${base}/ui/nope`);
  seen.nope_status = nope.status();
  seen.nope_type = nope.headers()['content-type'];
  seen.nope_text = await text(page, '#problem');
  await look(page, '08-not-found');

  // Another tenant's engagement.
  const foreign = await page.goto(`${base}/ui/engagements/${encodeURIComponent(foreignId)}`);
  seen.foreign_status = foreign.status();
  seen.foreign_text = await text(page, '#problem');
  await shot(page, '08b-foreign');

  // A phone: every page fits, sign-out in view, axe again.
  await page.setViewportSize(PHONE);
  const phone = async (path, name) => {
    await page.goto(`${base}${path}`);
    seen.phone[name] = await fits(page);
    await look(page, name);
  };
  await phone('/ui', 'p1-overview');
  await phone('/ui?queue=Billing', 'p1b-overview-queue');
  await phone('/ui/engagements?channel_type=voice&limit=2', 'p2-search');
  seen.phone_form_folded = !(await page.locator('#search-fold').evaluate((d) => d.open));
  await phone('/ui/engagements/chat-1', 'p3-engagement');
  await phone('/ui/journey?customer=mary%40example.org', 'p4-journey');
  await phone('/ui/dashboard', 'p5-dashboard');
  await page.setViewportSize(WIDE);

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
