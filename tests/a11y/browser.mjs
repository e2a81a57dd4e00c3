// The public pages in a real browser (Debian's headless Chromium via playwright-core), against a
// running daemon: a partner unsubscribes with the keyboard alone, and axe-core's WCAG 2.2 AA
// rules run on the unsubscribe page and its confirmation, the archive, an archived issue and the
// campaign calendar (grid and list), each in light and dark colour schemes.
//
// Usage: node browser.mjs BASE_URL UNSUBSCRIBE_URL ARTEFACT_DIR
// Prints one JSON document:
//   {base, unsubscribe: {ok, button, tabs, post_status, confirmation, error?},
//    pages: [{target, scheme, status, passes, incomplete, violations: [...], error?}],
//    screenshots: [...]}
// and saves a full-page screenshot of /calendar?month=2026-11 as ARTEFACT_DIR/calendar-2026-11.png
// (and its dark twin). Exit 0 when it ran (whatever it found), 2 when it could not run.
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { axeSource, launchChromium } from './chromium.mjs';

const [base, unsubscribeUrl, artefactArg] = process.argv.slice(2);
if (!base || !unsubscribeUrl || !artefactArg) {
  console.error('usage: node browser.mjs BASE_URL UNSUBSCRIBE_URL ARTEFACT_DIR');
  process.exit(2);
}
const artefacts = resolve(artefactArg);
mkdirSync(artefacts, { recursive: true });
const url = (path) => new URL(path, base).href;

const browser = await launchChromium();

// Our pages forbid every script (CSP `default-src 'none'`); bypassing CSP lets axe in without
// weakening what the server sends.
const context = await browser.newContext({ bypassCSP: true, viewport: { width: 1280, height: 900 } });

/** axe's WCAG 2.2 AA rules on the page as it is now, in `scheme`. */
async function axe(page, target, scheme, status) {
  await page.emulateMedia({ colorScheme: scheme });
  const loaded = await page.evaluate(() => typeof window.axe !== 'undefined');
  if (!loaded) await page.addScriptTag({ content: axeSource });
  const r = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    return await axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] },
    });
  });
  return {
    target,
    scheme,
    status,
    passes: r.passes.length,
    incomplete: r.incomplete.map((v) => v.id),
    violations: r.violations.map((v) => ({
      id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.map((n) => ({ target: n.target, summary: n.failureSummary })),
    })),
  };
}

/** Both colour schemes on the page as it is now (no reload: a POST's answer stays put). */
async function bothSchemes(page, target, status) {
  const out = [];
  for (const scheme of ['light', 'dark']) out.push(await axe(page, target, scheme, status));
  await page.emulateMedia({ colorScheme: 'light' });
  return out;
}

const pages = [];
const screenshots = [];
const unsubscribe = { ok: false, button: null, tabs: null, post_status: null, confirmation: null };

async function visit(page, path) {
  const resp = await page.goto(url(path), { waitUntil: 'load' });
  return resp ? resp.status() : null;
}

try {
  // (a) Unsubscribe with the keyboard: Tab to the button, press Enter.
  const page = await context.newPage();
  try {
    const resp = await page.goto(unsubscribeUrl, { waitUntil: 'load' });
    const status = resp ? resp.status() : null;
    const button = page.getByRole('button', { name: /Unsubscribe/ }).first();
    unsubscribe.button = (await button.count()) > 0 ? (await button.textContent()).trim() : null;
    pages.push(...await bothSchemes(page, 'unsubscribe', status));
    if (unsubscribe.button) {
      // Walk the focus order from the top, as a keyboard user would.
      let tabs = 0;
      for (; tabs < 30; tabs++) {
        if (await button.evaluate((b) => b === document.activeElement)) break;
        await page.keyboard.press('Tab');
      }
      unsubscribe.tabs = tabs;
      if (!(await button.evaluate((b) => b === document.activeElement))) {
        throw new Error('the unsubscribe button cannot be reached with Tab');
      }
      const posted = page.waitForResponse((r) => r.request().method() === 'POST', { timeout: 15000 });
      await page.keyboard.press('Enter');
      const answer = await posted;
      unsubscribe.post_status = answer.status();
      await page.waitForFunction(() => /unsubscribed/i.test(document.body ? document.body.innerText : ''),
        null, { timeout: 15000 });
      await page.waitForLoadState('load');
      unsubscribe.confirmation = (await page.locator('main').innerText()).trim();
      unsubscribe.ok = unsubscribe.post_status === 200 && /unsubscribed/i.test(unsubscribe.confirmation);
      pages.push(...await bothSchemes(page, 'unsubscribe (confirmation)', unsubscribe.post_status));
    }
  } catch (e) {
    unsubscribe.error = e.message;
  } finally {
    await page.close();
  }

  // (b) The archive, its newest issue, and the calendar as a grid and as a list.
  const targets = ['/archive/'];
  {
    const page = await context.newPage();
    try {
      await visit(page, '/archive/');
      const hrefs = await page.$$eval('main a[href]', (as) => as.map((a) => a.getAttribute('href')));
      const issue = hrefs.find((h) => /^\/archive\/[^/]+\/[^/]+$/.test(h));
      if (issue) targets.push(issue);
      else pages.push({ target: '/archive/ (first issue)', error: 'the archive links to no issue' });
    } finally {
      await page.close();
    }
  }
  targets.push('/calendar?month=2026-11', '/calendar?month=2026-11&view=list', '/calendar?month=2026-11&theme=domestic-abuse', '/archive/?theme=domestic-abuse');
  for (const target of targets) {
    const page = await context.newPage();
    try {
      const status = await visit(page, target);
      pages.push(...await bothSchemes(page, target, status));
    } catch (e) {
      pages.push({ target, error: e.message });
    } finally {
      await page.close();
    }
  }

  // (c) The artefact: the November 2026 calendar, whole page, light (and dark).
  for (const scheme of ['light', 'dark']) {
    const page = await context.newPage();
    try {
      await page.emulateMedia({ colorScheme: scheme });
      await visit(page, '/calendar?month=2026-11');
      const file = join(artefacts, scheme === 'light' ? 'calendar-2026-11.png' : 'calendar-2026-11-dark.png');
      await page.screenshot({ path: file, fullPage: true });
      screenshots.push(file);
    } finally {
      await page.close();
    }
  }
} finally {
  await context.close();
  await browser.close();
}

console.log(JSON.stringify({ base, unsubscribe, pages, screenshots }, null, 2));
