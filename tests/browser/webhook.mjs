// Drives the web viewer's webhook page in headless Chromium. Started by
// crates/inlet-testkit/tests/viewer.rs with the real stack, an admin
// token and a webhook, in INLET_* variables. Any failed check throws: the
// script exits non-zero and the Rust test shows this output.

import assert from 'node:assert/strict';
import { readConfig, run, saveScreenshot, step, withPage } from './harness.mjs';

const config = readConfig({ webhookId: 'INLET_WEBHOOK_ID', adminToken: 'INLET_ADMIN_TOKEN' });

/** Sends a Slack payload; returns the status and the request id. */
async function send(payload, wait) {
  const response = await fetch(`${config.ingressUrl}/hooks/${config.webhookToken}${wait ? '?wait=true' : ''}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(payload),
  });
  await response.text();
  return { status: response.status, id: response.headers.get('x-request-id') };
}

/** Waits until the log shows `requestId` with `outcome`. */
async function waitForRow(page, requestId, outcome) {
  await page.waitForSelector(`tr.delivery[data-request-id="${requestId}"][data-outcome="${outcome}"]`);
  return page.textContent(`tr.delivery[data-request-id="${requestId}"]`);
}

async function main() {
  await withPage(config, async (page) => {
    const problems = [];
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));

    step('sign in with the admin token: the team lists its webhook');
    const posted = await send({ text: 'posted before the page opened' }, true);
    assert.equal(posted.status, 200);
    await page.goto(config.viewerUrl);
    await page.fill('#token', config.adminToken);
    await page.click('#signin-form button[type="submit"]');
    await page.waitForSelector(`a.webhook-link[data-webhook-id="${config.webhookId}"]`);

    step('the webhook page: its name, when it was last used, and its log');
    await page.click(`a.webhook-link[data-webhook-id="${config.webhookId}"]`);
    await page.waitForSelector('#webhook-page:not([hidden])');
    assert.equal(await page.isHidden('main.channel'), true);
    assert.equal(await page.textContent('#webhook-title'), 'CI');
    assert.match(await page.textContent('#webhook-meta'), /Last used: /);
    const first = await waitForRow(page, posted.id, 'posted');
    assert.match(first, /Posted/);
    assert.match(first, /1 post \(seq 1\)/);
    assert.match(first, /slack/);

    step('live: a refused request appears with the code and sentence the sender got');
    const refused = await send({ text: 42 }, false);
    assert.equal(refused.status, 400);
    const row = await waitForRow(page, refused.id, 'rejected');
    assert.match(row, /Refused/);
    assert.match(row, /invalid_payload: /);
    assert.match(row, /400/);

    step('live: a request posts and its row turns from in flight to posted');
    const later = await send({ text: 'posted while the page is open' }, false);
    assert.equal(later.status, 200);
    await waitForRow(page, later.id, 'posted');
    const order = await page.evaluate(() => [...document.querySelectorAll('tr.delivery')].map((tr) => tr.dataset.requestId));
    assert.deepEqual(order.slice(0, 3), [later.id, refused.id, posted.id], 'newest first');

    step('the template editor: a sample previews as the post it would make');
    await page.fill('#template-message', '**{{ body.service | upper }}** is {{ body.state }}');
    await page.fill('#template-topic', '{{ body.service }}');
    await page.fill('#template-sample', '{"service": "api", "state": "down"}');
    await page.click('#template-preview');
    await page.waitForSelector('#template-result .template-post');
    assert.equal(await page.textContent('#template-result .template-post-text strong'), 'API');
    assert.match(await page.textContent('#template-result .template-post-author'), /thread api/);

    step('the template editor: an error shows its line and column, and nothing is saved');
    await page.fill('#template-message', 'first line\n{{ body.service + 1 }}');
    await page.click('#template-preview');
    await page.waitForSelector('#template-result .template-error');
    assert.match(await page.textContent('#template-result .template-error'), /template_error at template\.message, line 2, column \d+/);
    await page.fill('#template-message', '{{ body.service | }}');
    await page.click('#template-save');
    await page.waitForSelector('#template-result .template-error');
    assert.match(await page.textContent('#template-result .template-error'), /invalid_template at template\.message, line 1/);

    step('the template editor: saving makes a new version');
    await page.fill('#template-message', '**{{ body.service }}** {{ body.state }}');
    await page.click('#template-save');
    await page.waitForSelector('#template-result .template-saved');
    assert.match(await page.textContent('#template-version'), /Version 1 is active/);
    await saveScreenshot(config, page, 'webhook-template');

    step('the token is nowhere on the page');
    const html = await page.content();
    assert.equal(html.includes(config.webhookToken), false);
    await saveScreenshot(config, page, 'webhook-log');

    step('back to a channel: the channel view returns');
    await page.evaluate(() => { location.hash = ''; });
    await page.waitForSelector('main.channel:not([hidden])');
    assert.equal(await page.isHidden('#webhook-page'), true);

    assert.deepEqual(problems, [], 'the page reported errors');
    step('all checks passed');
  });
}

run(main);
