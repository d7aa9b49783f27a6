// What both browser scripts share: their settings from the INLET_*
// variables crates/inlet-testkit/tests/viewer.rs sets, one page of headless
// Chromium, step lines and screenshots, and the exit status the Rust test
// reads (any failed check throws: non-zero, and the test shows the output).

import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];
const STEP_TIMEOUT_MS = 20000;

function required(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (this script is run by crates/inlet-testkit/tests/viewer.rs)`);
  return value;
}

/** The settings every script reads, plus `own`: each key read from the variable it names. */
export function readConfig(own) {
  const config = {
    viewerUrl: required('INLET_VIEWER_URL'),
    ingressUrl: required('INLET_INGRESS_URL'),
    webhookToken: required('INLET_WEBHOOK_TOKEN'),
    artifacts: required('INLET_BROWSER_ARTIFACTS'),
    chromium: process.env.INLET_CHROMIUM ?? '/usr/bin/chromium',
  };
  for (const [key, variable] of Object.entries(own)) config[key] = required(variable);
  return config;
}

export const step = (name) => console.log(`· ${name}`);

/** Saves the whole page as `<artifacts>/<name>.png`. */
export async function saveScreenshot(config, page, name) {
  await page.screenshot({ path: join(config.artifacts, `${name}.png`), fullPage: true });
}

/** Runs `check(page)` on a fresh page of headless Chromium, closed however it ends. */
export async function withPage(config, check) {
  await mkdir(config.artifacts, { recursive: true });
  const browser = await chromium.launch({ executablePath: config.chromium, args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    page.setDefaultTimeout(STEP_TIMEOUT_MS);
    await check(page);
  } finally {
    await browser.close();
  }
}

/** Runs the script's `main`: exit 0 when it succeeds, else the error and exit 1. */
export function run(main) {
  main().then(
    () => process.exit(0),
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
}
