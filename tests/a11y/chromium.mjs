// What axe.mjs and browser.mjs share: Debian's headless Chromium (or $CHROMIUM) started through
// playwright-core with nothing that reaches the network by itself, and axe-core's source to
// inject into a page. A browser that cannot start ends the script with exit code 2 ("could not
// run"), which the Rust tests report with how to install it.
import { chromium } from 'playwright-core';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** axe-core, as text for `page.addScriptTag({ content })`. */
export const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** The browser, or exit 2 with why it did not start. */
export async function launchChromium() {
  const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
  try {
    return await chromium.launch({
      executablePath,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  } catch (e) {
    console.error(`cannot start Chromium at ${executablePath}: ${e.message}`);
    process.exit(2);
  }
}
