// The desk's other flows in a real browser (headless Chromium via playwright-core), against a
// running daemon, under the pages' real Content-Security-Policy, mostly from the keyboard:
//   campaign     an editor adds a campaign through the form, checks its dates, saves it and
//                finds it in the year's grid;
//   upload       an admin uploads a spreadsheet through the file input on a list's page, reads
//                the diff and confirms it;
//   suppression  an admin adds a suppression with a reason, finds it by search and lifts it.
// What the files and the ledger then hold is for the Rust test (tests/it/desk_browser.rs).
//
// Usage: node desk-flows.mjs FLOW BASE_URL LINK_PATH [ARG]
//   campaign: ARG is this year (whose grid should show the campaign); upload: ARG is the spreadsheet's path.
// Prints what the person saw, as JSON: {signed_in, csp_errors, page_errors, ..., error?}.
// Exit 0 when it ran (whatever it found), 2 when it could not run.
import { launchChromium } from './chromium.mjs';

const [flow, base, linkPath, arg] = process.argv.slice(2);
if (!flow || !base || !linkPath) {
  console.error('usage: node desk-flows.mjs campaign|upload|suppression BASE_URL LINK_PATH [ARG]');
  process.exit(2);
}
const url = (path) => new URL(path, base).href;
const words = (s) => (s || '').replace(/\s+/g, ' ').trim();
const out = { flow, csp_errors: [], page_errors: [] };

/** Press Enter on `selector` (focused as Tab would) and wait for the page it submits to. */
async function enter(page, selector) {
  await page.focus(selector);
  const [response] = await Promise.all([
    page.waitForNavigation({ waitUntil: 'load' }),
    page.keyboard.press('Enter'),
  ]);
  return response ? response.status() : null;
}

/** Type into a field from the keyboard, as a person does. */
async function type(page, selector, text) {
  await page.focus(selector);
  await page.keyboard.press('Control+A');
  await page.keyboard.type(text);
}

/** Each row of each table in `main`, its cells' words joined by " | ", under its caption. */
async function tables(page) {
  return page.$$eval('main table', (ts) => ts.map((t) => ({
    caption: (t.caption ? t.caption.textContent : '').replace(/\s+/g, ' ').trim(),
    rows: [...t.tBodies].flatMap((b) => [...b.rows]).map((r) => [...r.cells]
      .map((c) => c.textContent.replace(/\s+/g, ' ').trim()).join(' | ')),
  })));
}

async function campaign(page, year) {
  await page.goto(url('/desk/campaigns'), { waitUntil: 'load' });
  out.new_status = await enter(page, 'main a:has-text("Add a campaign")');
  await type(page, '#id', 'odd-socks-day');
  await type(page, '#title', 'Odd Socks Day');
  await type(page, '#summary', 'Wear odd socks.');
  await page.selectOption('#rule-kind', 'nth_weekday');
  await type(page, '#rule-month', '11');
  await type(page, '#rule-weekday', 'mon');
  await type(page, '#rule-nth', '2');
  out.check_status = await enter(page, 'button[value="check"]');
  out.dates = await page.$$eval('#dates-heading ~ *', (els) => els.map((e) => e.textContent.replace(/\s+/g, ' ').trim()));
  out.saved_status = await enter(page, 'button[value="save"]');
  out.saved_url = page.url();
  // The year's grid shows it once the daemon has reloaded the saved file.
  for (let i = 0; i < 100; i++) {
    await page.goto(url(`/desk/campaigns?year=${year}`), { waitUntil: 'load' });
    out.grid_link = await page.$eval('main table a[href="/desk/campaigns/odd-socks-day"]',
      (a) => [a.closest('table').caption.textContent.trim(), a.closest('td').firstChild.textContent.trim()])
      .catch(() => null);
    if (out.grid_link) break;
    await page.waitForTimeout(200);
  }
}

async function upload(page, file) {
  await page.goto(url('/desk/lists/partners'), { waitUntil: 'load' });
  await page.setInputFiles('#file', file);
  out.diff_status = await enter(page, 'main button:has-text("Show the changes")');
  out.diff_title = words(await page.textContent('h1'));
  out.diff = await tables(page);
  out.confirm_status = await enter(page, 'main button:has-text("Save these changes")');
  out.confirmed_url = page.url();
  out.notice = words(await page.textContent('main [role=status]').catch(() => null));
  out.members = words(await page.textContent('main'));
}

async function suppression(page) {
  await page.goto(url('/desk/suppressions'), { waitUntil: 'load' });
  await type(page, '#email', 'Ann@A.example');
  await page.selectOption('#scope', 'list:partners');
  await type(page, '#reason', 'Left the partnership');
  // Enter in the last text field submits the form.
  out.add_status = await enter(page, '#reason');
  out.added_url = page.url();
  out.added_notice = words(await page.textContent('main [role=status]').catch(() => null));
  await page.goto(url('/desk/suppressions'), { waitUntil: 'load' });
  await type(page, '#q', 'ANN');
  out.search_status = await enter(page, '#q');
  out.search_url = page.url();
  out.found = await tables(page);
  out.lift_status = await enter(page, 'main button[aria-label^="Lift the suppression of ann@a.example"]');
  out.lifted_notice = words(await page.textContent('main [role=status]').catch(() => null));
  out.after_lift = words(await page.textContent('main'));
}

const flows = { campaign, upload, suppression };
const browser = await launchChromium();
try {
  if (!flows[flow]) throw new Error(`no flow ${flow}`);
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) out.csp_errors.push(m.text()); });
  page.on('pageerror', (e) => out.page_errors.push(String(e)));

  await page.goto(url(linkPath));
  await enter(page, 'main button[type=submit]');
  out.signed_in = words(await page.textContent('main')).includes('Signed in as');
  await flows[flow](page, arg);
} catch (e) {
  out.error = String(e && e.stack || e);
} finally {
  await browser.close();
}
console.log(JSON.stringify(out, null, 2));
