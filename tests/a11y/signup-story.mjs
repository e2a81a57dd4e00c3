// Issue 22's sign-up and preference stories in a real browser (headless Chromium via
// playwright-core), against a running daemon under the pages' real Content-Security-Policy. Each
// step is one run, so the Rust test can look at the sink, the ledger and the CSV in between:
//
//   signup BASE PATH EMAIL NAME AGENCY ROLE
//     fills the sign-up form with the keyboard only (Tab to each field, type, Enter), as a
//     keyboard user would; prints {focus_order, status, title, notice}.
//   confirm BASE PATH BUTTON
//     opens the mailed confirmation link and presses the button named BUTTON; prints
//     {page_title, status, title, notice}.
//   preferences BASE PATH BULLETIN NAME
//     opens the preference link, unticks BULLETIN, writes NAME and saves; prints
//     {ticked_before, status, title, notice}.
//   look BASE PATH BULLETIN
//     opens the preference link and reloads it (GET twice); prints {ticked, name, reloaded_ticked,
//     reloaded_name}.
//
// Every run also prints csp_errors (console messages about the policy) and error (what threw).
// Exit 0 when it ran (whatever it found), 2 when it could not run.
import { launchChromium } from './chromium.mjs';

const [mode, base, path, ...rest] = process.argv.slice(2);
const arity = { signup: 4, confirm: 1, preferences: 2, look: 1 };
if (!(mode in arity) || !base || !path || rest.length !== arity[mode]) {
  console.error('usage: node signup-story.mjs signup|confirm|preferences|look BASE_URL PATH ARGS...');
  process.exit(2);
}
const url = (p) => new URL(p, base).href;
const out = { csp_errors: [] };
const text = async (page, selector) =>
  (await page.locator(selector).first().textContent({ timeout: 2000 }).catch(() => null))?.trim() ?? null;

/** Tab until the field `id` has focus; false when it never does. */
async function tabTo(page, id) {
  for (let i = 0; i < 30; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate(() => document.activeElement && document.activeElement.id) === id) return true;
  }
  return false;
}

async function signup(page, [email, name, agency, role]) {
  await page.goto(url(path), { waitUntil: 'load' });
  out.focus_order = [];
  if (!(await tabTo(page, 'email'))) throw new Error('Tab never reached the email field');
  for (const value of [email, name, agency, role]) {
    out.focus_order.push(await page.evaluate(() => document.activeElement.id));
    await page.keyboard.type(value);
    if (value !== role) await page.keyboard.press('Tab');
  }
  const [answer] = await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
  out.status = answer && answer.status();
  out.title = await text(page, 'h1');
  out.notice = await text(page, '.notice');
}

async function confirm(page, [button]) {
  await page.goto(url(path), { waitUntil: 'load' });
  out.page_title = await text(page, 'h1');
  const [answer] = await Promise.all([
    page.waitForNavigation(),
    page.getByRole('button', { name: button, exact: true }).click(),
  ]);
  out.status = answer && answer.status();
  out.title = await text(page, 'h1');
  out.notice = await text(page, '.notice');
}

async function preferences(page, [bulletin, name]) {
  await page.goto(url(path), { waitUntil: 'load' });
  const box = page.locator(`#b-${bulletin}`);
  out.ticked_before = await box.isChecked();
  await box.uncheck();
  await page.fill('#name', name);
  const [answer] = await Promise.all([
    page.waitForNavigation(),
    page.getByRole('button', { name: 'Save my preferences', exact: true }).click(),
  ]);
  out.status = answer && answer.status();
  out.title = await text(page, 'h1');
  out.notice = await text(page, '.notice');
}

async function look(page, [bulletin]) {
  await page.goto(url(path), { waitUntil: 'load' });
  out.ticked = await page.locator(`#b-${bulletin}`).isChecked();
  out.name = await page.inputValue('#name');
  await page.reload({ waitUntil: 'load' });
  out.reloaded_ticked = await page.locator(`#b-${bulletin}`).isChecked();
  out.reloaded_name = await page.inputValue('#name');
}

const browser = await launchChromium();
try {
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  page.setDefaultTimeout(5000);
  page.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) out.csp_errors.push(m.text()); });
  await { signup, confirm, preferences, look }[mode](page, rest);
} catch (e) {
  out.error = String(e && e.stack || e);
} finally {
  await browser.close();
}
console.log(JSON.stringify(out, null, 2));
