// Run axe-core (WCAG 2.2 AA rule set) on local HTML files or URLs in Debian's headless Chromium.
// Usage: node axe.mjs FILE_OR_URL... ; prints one JSON document:
// [{target, scheme: "light"|"dark", passes, violations:[...]}], each page in both colour schemes.
// Exit 0 when it ran (whatever it found), 2 when it could not run.
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { axeSource, launchChromium } from './chromium.mjs';

const targets = process.argv.slice(2);
if (targets.length === 0) {
  console.error('usage: node axe.mjs FILE_OR_URL...');
  process.exit(2);
}
const browser = await launchChromium();
// The daemon's pages forbid every script (CSP `default-src 'none'`); bypassing CSP lets axe in
// without weakening what the server sends.
const context = await browser.newContext({ bypassCSP: true });
const results = [];
try {
  for (const t of targets) for (const scheme of ['light', 'dark']) {
    const url = /^https?:/.test(t) ? t : pathToFileURL(resolve(t)).href;
    const page = await context.newPage();
    await page.emulateMedia({ colorScheme: scheme });
    await page.goto(url, { waitUntil: 'load' });
    await page.addScriptTag({ content: axeSource });
    const r = await page.evaluate(async () => {
      // eslint-disable-next-line no-undef
      return await axe.run(document, {
        runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] },
      });
    });
    results.push({
      target: t,
      scheme,
      passes: r.passes.length,
      violations: r.violations.map((v) => ({
        id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.map((n) => ({ target: n.target, summary: n.failureSummary })),
      })),
    });
    await page.close();
  }
} finally {
  await browser.close();
}
console.log(JSON.stringify(results, null, 2));
