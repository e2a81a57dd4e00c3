// Issue 21's first story in a real browser (headless Chromium via playwright-core), against a
// running daemon, under the pages' real Content-Security-Policy: a person opens the sign-in link
// mailed to them and signs in, adds a news item with a deadline through the form (watching the
// live preview show it), finds it in "the next issue" and in that issue as it will be sent,
// sends themselves a proof and approves the issue. What arrives by mail, the file and its commit
// are for the Rust test to check; accessibility is desk.mjs's and desk-edit.mjs's.
//
// Usage: node desk-story.mjs BASE_URL LINK_PATH TITLE PUBLISH DEADLINE BODY
// Prints {signed_in, preview_shows_item, preview_shows_deadline, saved_status, saved_url,
//   issue_carries, issue_preview_shows_item, issue_preview_shows_deadline, proof_notice,
//   approve_notice, csp_errors, error?}.
// Exit 0 when it ran (whatever it found), 2 when it could not run.
import { launchChromium } from './chromium.mjs';

const [base, linkPath, title, publish, deadline, body] = process.argv.slice(2);
if (!base || !linkPath || !title || !publish || !deadline || !body) {
  console.error('usage: node desk-story.mjs BASE_URL LINK_PATH TITLE PUBLISH DEADLINE BODY');
  process.exit(2);
}
const url = (path) => new URL(path, base).href;
// "Closes Sat 19 Dec 2026", as the email writes a deadline.
const closes = (() => {
  const d = new Date(`${deadline}T12:00:00Z`);
  const day = d.toLocaleDateString('en-GB', { weekday: 'short', timeZone: 'UTC' });
  const month = d.toLocaleDateString('en-GB', { month: 'short', timeZone: 'UTC' });
  return `Closes ${day} ${d.getUTCDate()} ${month} ${d.getUTCFullYear()}`;
})();
const text = (html) => html.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');
const out = { csp_errors: [], closes };

const browser = await launchChromium();
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) out.csp_errors.push(m.text()); });

  // Sign in through the emailed link.
  await page.goto(url(linkPath));
  await Promise.all([page.waitForNavigation(), page.click('main button[type=submit]')]);
  out.signed_in = (await page.textContent('main')).includes('Signed in as');

  // Add the item, watching the live preview.
  await page.goto(url('/desk/news/new'), { waitUntil: 'load' });
  await page.fill('#title', title);
  await page.fill('#publish', publish);
  await page.fill('#deadline', deadline);
  await page.fill('#body', body);
  const frame = page.frame({ name: 'preview' });
  for (let i = 0; i < 100 && frame; i++) {
    const html = text(await frame.content().catch(() => ''));
    out.preview_shows_item = html.includes(title) && html.includes(body);
    out.preview_shows_deadline = html.includes(closes);
    if (out.preview_shows_item && out.preview_shows_deadline) break;
    await page.waitForTimeout(100);
  }
  const [saved] = await Promise.all([
    page.waitForNavigation({ waitUntil: 'load' }),
    page.click('button[value="save"]'),
  ]);
  out.saved_status = saved ? saved.status() : null;
  out.saved_url = page.url();

  // The next issue carries it once the daemon has reloaded the saved file.
  for (let i = 0; i < 100; i++) {
    await page.goto(url('/desk/issue'), { waitUntil: 'load' });
    out.issue_url = page.url();
    out.issue_carries = await page.textContent('dl.summary');
    if (out.issue_carries.includes(title)) break;
    await page.waitForTimeout(200);
  }
  const issuePage = page.url();
  await page.click('a:has-text("Read the issue as it will be sent")');
  await page.waitForLoadState('load');
  const issue = text(await page.content());
  out.issue_preview_shows_item = issue.includes(title) && issue.includes(body);
  out.issue_preview_shows_deadline = issue.includes(closes);

  await page.goto(issuePage, { waitUntil: 'load' });
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Send me a proof")')]);
  out.proof_notice = await page.textContent('[role=status]');
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Approve this issue")')]);
  out.approve_notice = await page.textContent('[role=status]');
} catch (e) {
  out.error = String(e && e.stack || e);
} finally {
  await browser.close();
}
console.log(JSON.stringify(out, null, 2));
