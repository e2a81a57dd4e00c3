// The desk in a real browser (Debian's headless Chromium via playwright-core), against a running
// daemon: a person opens their emailed sign-in link, presses "Sign in", opens the next issue,
// sends themselves a proof and approves it; axe-core's WCAG 2.2 AA rules run on every desk page
// on the way (the sign-in form and its answer, the link's page, the home, the next issue, each
// button's answer), in light and dark colour schemes.
//
// Usage: node desk.mjs BASE_URL LINK_PATH
// Prints one JSON document:
//   {steps: {signed_in, issue_url, proof_notice, approve_notice}, pages: [{target, scheme,
//    status, passes, violations: [...]}]}
// Exit 0 when it ran (whatever it found), 2 when it could not run.
import { axeSource, launchChromium } from './chromium.mjs';

const [base, linkPath] = process.argv.slice(2);
if (!base || !linkPath) {
  console.error('usage: node desk.mjs BASE_URL LINK_PATH');
  process.exit(2);
}
const url = (path) => new URL(path, base).href;
const browser = await launchChromium();
// Our pages forbid every script; bypassing CSP lets axe in without weakening what is sent.
const context = await browser.newContext({ bypassCSP: true });
const pages = [];
const steps = {};

async function axe(page, target, status) {
  for (const scheme of ['light', 'dark']) {
    await page.emulateMedia({ colorScheme: scheme });
    const loaded = await page.evaluate(() => typeof window.axe !== 'undefined');
    if (!loaded) await page.addScriptTag({ content: axeSource });
    const r = await page.evaluate(async () => {
      // eslint-disable-next-line no-undef
      return await axe.run(document, {
        runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] },
      });
    });
    pages.push({
      target, scheme, status, passes: r.passes.length,
      violations: r.violations.map((v) => ({
        id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.map((n) => ({ target: n.target, summary: n.failureSummary })),
      })),
    });
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

try {
  const page = await context.newPage();
  let r = await page.goto(url('/desk/sign-in'));
  await axe(page, '/desk/sign-in', r.status());
  await page.fill('#email', 'nobody@else.example');
  const [answer] = await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
  await axe(page, '/desk/sign-in (answer)', answer.status());

  r = await page.goto(url(linkPath));
  await axe(page, 'the link page', r.status());
  await Promise.all([page.waitForNavigation(), page.click('main button[type=submit]')]);
  steps.signed_in = (await page.textContent('main')).includes('Signed in as');
  await axe(page, '/desk/', 200);

  r = await page.goto(url('/desk/issue'));
  steps.issue_url = page.url();
  await axe(page, '/desk/issue/…', r.status());

  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Send me a proof")')]);
  steps.proof_notice = await page.textContent('[role=status]');
  await axe(page, 'after "Send me a proof"', 200);

  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Approve this issue")')]);
  steps.approve_notice = await page.textContent('[role=status]');
  await axe(page, 'after "Approve"', 200);
} catch (e) {
  steps.error = String(e);
} finally {
  await browser.close();
}
console.log(JSON.stringify({ steps, pages }, null, 2));
