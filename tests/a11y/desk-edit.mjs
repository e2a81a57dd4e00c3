// The desk's news and campaign pages in a real browser (headless Chromium via playwright-core),
// signed in with a session cookie: an editor adds a news item with a deadline and watches the
// live preview (the page's own script file, under the page's real Content-Security-Policy),
// saves it; then axe-core's WCAG 2.2 AA rules on every news and campaign page, in light and
// dark colour schemes (a second context that bypasses CSP only to inject axe).
//
// Usage: node desk-edit.mjs BASE_URL SESSION_COOKIE_VALUE [CAMPAIGN_ID (default week)]
// Prints {preview_shows_item, preview_shows_deadline, saved_status, csp_errors, pages:[...]}.
// Exit 0 when it ran (whatever it found), 2 when it could not run.
import { axeSource, launchChromium } from './chromium.mjs';

const [base, cookie, campaignArg] = process.argv.slice(2);
const campaign = campaignArg || 'week';
if (!base || !cookie) {
  console.error('usage: node desk-edit.mjs BASE_URL SESSION_COOKIE_VALUE');
  process.exit(2);
}
const url = (path) => new URL(path, base).href;
const host = new URL(base).hostname;
const jar = [{ name: 'bulletin_desk', value: cookie, domain: host, path: '/desk' }];

const browser = await launchChromium();
const out = { preview_shows_item: false, preview_shows_deadline: false, saved_status: null, csp_errors: [], pages: [] };

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
    out.pages.push({
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
  // (a) Live preview under the real CSP.
  const real = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await real.addCookies(jar);
  const page = await real.newPage();
  page.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) out.csp_errors.push(m.text()); });
  await page.goto(url('/desk/news/new'), { waitUntil: 'load' });
  await page.fill('#title', 'Safer sleep briefing');
  await page.fill('#publish', '2027-03-01');
  await page.fill('#deadline', '2027-03-20');
  await page.fill('#themes', 'babies-under-one');
  await page.fill('#body', 'Book by 20 March.');
  const frame = page.frame({ name: 'preview' });
  for (let i = 0; i < 100 && frame; i++) {
    const html = await frame.content().catch(() => '');
    out.preview_shows_item = html.includes('Safer sleep briefing') && html.includes('Book by 20 March.');
    out.preview_shows_deadline = /Closes[^<]*20 Mar/.test(html.replace(/<[^>]+>/g, ''));
    if (out.preview_shows_item && out.preview_shows_deadline) break;
    await page.waitForTimeout(100);
  }
  const [resp] = await Promise.all([
    page.waitForNavigation({ waitUntil: 'load' }),
    page.click('button[value="save"]'),
  ]);
  out.saved_status = resp ? resp.status() : null;
  out.saved_url = page.url();
  await real.close();

  // (b) axe on every page.
  const ctx = await browser.newContext({ bypassCSP: true, viewport: { width: 1280, height: 900 } });
  await ctx.addCookies(jar);
  const p = await ctx.newPage();
  for (const path of ['/desk/news', '/desk/news/new', '/desk/news/2027-03-safer-sleep-briefing',
    '/desk/campaigns', '/desk/campaigns?view=list', `/desk/campaigns/${campaign}`, '/desk/campaigns/new']) {
    const r = await p.goto(url(path), { waitUntil: 'load' });
    await axe(p, path, r ? r.status() : null);
  }
  // The form with its problems shown: an empty new item saved.
  await p.goto(url('/desk/news/new'), { waitUntil: 'load' });
  await p.fill('#title', '');
  const [bad] = await Promise.all([
    p.waitForNavigation({ waitUntil: 'load' }),
    p.click('button[value="save"]'),
  ]);
  await axe(p, '/desk/news/new (with problems)', bad ? bad.status() : null);
  // The campaign form's Check dates answer.
  await p.goto(url(`/desk/campaigns/${campaign}`), { waitUntil: 'load' });
  const [checked] = await Promise.all([
    p.waitForNavigation({ waitUntil: 'load' }),
    p.click('button[value="check"]'),
  ]);
  await axe(p, `/desk/campaigns/${campaign} (dates checked)`, checked ? checked.status() : null);
  await ctx.close();
} catch (e) {
  out.error = String(e && e.stack || e);
} finally {
  await browser.close();
}
console.log(JSON.stringify(out, null, 2));
