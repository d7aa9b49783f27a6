// Drives the Inlet web viewer in headless Chromium. Started by
// crates/inlet-testkit/tests/viewer.rs, which runs the real stack, puts a
// cuttable TCP proxy between the browser and inlet-api, and passes the URLs
// and tokens in INLET_* variables.
//
// The proxy is controlled through this process's standard streams: the
// script prints `@inlet cut` or `@inlet restore` and waits for `done`.
// Any failed check throws: the script exits non-zero and the Rust test
// shows this output.

import assert from 'node:assert/strict';
import { createInterface } from 'node:readline';
import { readConfig, run, saveScreenshot, step, withPage } from './harness.mjs';
import { checkMarkdownCases } from './markdown-cases.mjs';

const config = readConfig({ channelId: 'INLET_CHANNEL_ID', readToken: 'INLET_READ_TOKEN' });

// === The proxy, through the Rust test ===

const answers = createInterface({ input: process.stdin })[Symbol.asyncIterator]();

async function proxy(command) {
  console.log(`@inlet ${command}`);
  const { value } = await answers.next();
  assert.equal(value, 'done', `the test did not carry out "${command}"`);
}

// === Webhooks, straight to ingress ===

/** Posts and waits until it is stored; returns the seqs of the posts it made. */
async function send(path, payload) {
  const response = await fetch(`${config.ingressUrl}${path}?wait=true`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify(payload),
  });
  const body = await response.text();
  assert.equal(response.status, 200, `POST ${path}: ${body}`);
  return JSON.parse(body).posts.map((post) => post.seq);
}

const slack = (payload) => send(`/hooks/${config.webhookToken}`, payload);
const emakin = (payload) => send(`/hooks/channels/${config.channelId}/${config.webhookToken}`, payload);

// === Reading the page ===

const screenshot = (page, name) => saveScreenshot(config, page, name);

/** The seqs of the top-level posts, and of each thread's replies, in page order. */
function layout(page) {
  return page.evaluate(() => [...document.querySelectorAll('#feed .thread')].map((thread) => ({
    root: Number(thread.querySelector('.thread-root > .post')?.dataset.seq),
    replies: [...thread.querySelectorAll('.replies > .post')].map((post) => Number(post.dataset.seq)),
    toggle: thread.querySelector('.thread-toggle').hidden ? null : thread.querySelector('.thread-toggle').textContent,
  })));
}

const allSeqs = (page) => page.$$eval('#feed .post[data-seq]', (posts) => posts.map((p) => Number(p.dataset.seq)));

const post = (page, seq) => page.locator(`#feed .post[data-seq="${seq}"]`);

async function waitForSeq(page, seq) {
  await page.waitForSelector(`#feed .post[data-seq="${seq}"]`, { state: 'attached' });
}

async function waitForState(page, state) {
  await page.waitForSelector(`#status[data-state="${state}"]`);
}

// === The scenario ===

async function history() {
  step('history: a thread, an attachment, a reply');
  const [root] = await slack({
    text: 'Deploy **v1.2.0** started: see [the runbook](https://runbook.example/deploy) and run `make deploy`.\n\n- build\n- migrate',
    thread_key: 'deploy-120',
  });
  const [firstReply] = await slack({ text: 'Build step *passed*', thread_key: 'deploy-120' });
  const [alert] = await slack({
    username: 'Alertmanager',
    attachments: [{
      color: 'danger',
      pretext: 'Production alert',
      author_name: 'prometheus',
      title: '[FIRING:1] InstanceDown',
      title_link: 'https://alerts.example/1',
      text: '**web-1** has been down for `5m`',
      fields: [
        { title: 'Severity', value: 'critical', short: true },
        { title: 'Region', value: 'eu-west', short: true },
        { title: 'Summary', value: 'The instance stopped answering scrapes.', short: false },
      ],
      image_url: 'https://alerts.example/graph.png',
      footer: 'Alertmanager',
    }],
  });
  const [secondReply] = await slack({ text: 'Deploy finished', thread_key: 'deploy-120' });
  return { root, firstReply, alert, secondReply };
}

async function signIn(page) {
  step('sign in: a wrong token is refused, the read token is accepted');
  await page.goto(config.viewerUrl);
  await page.waitForSelector('#signin-form');
  await screenshot(page, '01-sign-in');
  await page.fill('#token', 'not-a-token');
  await page.click('#signin-form button[type="submit"]');
  await page.waitForSelector('#signin-error:not([hidden])');
  assert.match(await page.textContent('#signin-error'), /refused/);
  await page.fill('#token', config.readToken);
  await page.click('#signin-form button[type="submit"]');
  await page.waitForSelector(`a.channel-link[data-channel-id="${config.channelId}"]`);
  assert.equal(await page.evaluate(() => sessionStorage.getItem('inlet.token')), config.readToken);
}

async function checkHistory(page, seqs) {
  step('the channel: history in order, the thread folded under its root');
  await page.click(`a.channel-link[data-channel-id="${config.channelId}"]`);
  await waitForState(page, 'live');
  await waitForSeq(page, seqs.secondReply);
  assert.deepEqual(await layout(page), [
    { root: seqs.root, replies: [seqs.firstReply, seqs.secondReply], toggle: '2 replies' },
    { root: seqs.alert, replies: [], toggle: null },
  ]);
  assert.equal(await post(page, seqs.firstReply).isVisible(), false, 'replies start folded');

  step('markdown: bold, link, code, list');
  const body = post(page, seqs.root).locator('.post-body');
  assert.equal(await body.locator('strong').textContent(), 'v1.2.0');
  const link = body.locator('a');
  assert.equal(await link.textContent(), 'the runbook');
  assert.equal(await link.getAttribute('href'), 'https://runbook.example/deploy');
  assert.equal(await link.getAttribute('rel'), 'noopener noreferrer nofollow');
  assert.equal(await body.locator('code').textContent(), 'make deploy');
  assert.deepEqual(await body.locator('li').allTextContents(), ['build', 'migrate']);
  assert.equal(await post(page, seqs.root).locator('.bot-tag').textContent(), 'BOT');

  step('an attachment: colour bar, title link, short fields side by side');
  const box = post(page, seqs.alert).locator('.attachment-box');
  assert.equal(await post(page, seqs.alert).locator('.author').textContent(), 'Alertmanager');
  assert.equal(await box.locator('.attachment-title a').getAttribute('href'), 'https://alerts.example/1');
  assert.equal(await box.locator('.attachment-text strong').textContent(), 'web-1');
  assert.equal(await box.locator('.field-short').count(), 2);
  const [severity, region] = await box.locator('.field-short').evaluateAll((fields) => fields.map((f) => f.getBoundingClientRect()));
  assert.equal(severity.top, region.top, 'short fields share a row');
  assert.ok(region.left > severity.left);
  assert.equal(await box.evaluate((node) => getComputedStyle(node).borderLeftColor), 'rgb(224, 30, 90)');
  assert.equal(await box.locator('img').count(), 0, 'images are links, not fetched');

  await page.locator('.thread-toggle', { hasText: '2 replies' }).click();
  assert.equal(await post(page, seqs.firstReply).isVisible(), true, 'the toggle unfolds the replies');
  assert.equal(await page.getAttribute('.thread-toggle >> nth=0', 'aria-expanded'), 'true');
  await screenshot(page, '02-history-thread-open');
}

async function checkLive(page, seqs) {
  step('live: a new root, a reply to the open thread, a case and its update');
  const [live] = await slack({ text: 'Live: _italic_ and ~~old~~ at https://status.example/now.' });
  await waitForSeq(page, live);
  const livePost = post(page, live);
  assert.equal(await livePost.locator('em').textContent(), 'italic');
  assert.equal(await livePost.locator('del').textContent(), 'old');
  assert.equal(await livePost.locator('a').getAttribute('href'), 'https://status.example/now');

  const [reply] = await slack({ text: 'Rollback not needed', thread_key: 'deploy-120' });
  await waitForSeq(page, reply);
  const [opened] = await emakin({ text: 'Disk full on **db-1**', id: 'CASE-7' });
  const [update] = await emakin({ text: 'Disk cleaned', references: ['CASE-7'] });
  await waitForSeq(page, update);
  assert.deepEqual(await layout(page), [
    { root: seqs.root, replies: [seqs.firstReply, seqs.secondReply, reply], toggle: 'Hide 3 replies' },
    { root: seqs.alert, replies: [], toggle: null },
    { root: live, replies: [], toggle: null },
    { root: opened, replies: [update], toggle: '1 reply' },
  ]);
  assert.equal(await post(page, opened).locator('.case-tag').textContent(), 'Case CASE-7');
  assert.equal(await post(page, opened).getAttribute('data-case-id'), 'CASE-7');
  await page.locator('.thread-toggle', { hasText: '1 reply' }).click();
  assert.equal(await post(page, update).locator('.case-tag').textContent(), 'Case update CASE-7');
  await screenshot(page, '03-live-and-case');
  return update;
}

async function checkPayloadIsInert(page, dialogs) {
  step('hostile payload: script, img onerror and javascript: links stay inert');
  const [hostile] = await slack({
    text: [
      '<script>window.__pwned = "script"</script>',
      '<img src=x onerror="window.__pwned = \'img\'; alert(1)">',
      '[click me](javascript:window.__pwned=\'link\')',
      '<javascript:alert(2)>',
      '[data](data:text/html,<script>alert(3)</script>)',
    ].join('\n'),
    attachments: [{
      title: 'Attachment title',
      title_link: 'javascript:window.__pwned="title"',
      author_name: 'mallory',
      author_link: 'javascript:window.__pwned="author"',
      text: '<b onmouseover="alert(4)">bold?</b>',
    }],
  });
  await waitForSeq(page, hostile);
  const hostilePost = post(page, hostile);
  const clickMe = hostilePost.getByText('click me');
  await clickMe.click();
  await hostilePost.getByText('Attachment title').click();
  await hostilePost.locator('.post-body').hover();
  await hostilePost.locator('.attachment-text').hover();
  assert.equal(await page.evaluate(() => window.__pwned), undefined, 'payload code ran');
  assert.deepEqual(dialogs, [], 'a dialog opened');
  assert.equal(await clickMe.evaluate((node) => node.closest('a')), null, 'the javascript: link is not a link');
  assert.equal(await page.locator('#feed script, #feed img, #feed b, #feed iframe').count(), 0, 'payload HTML became elements');
  const hrefs = await page.$$eval('a[href]', (links) => links.map((a) => a.getAttribute('href')));
  for (const href of hrefs) {
    assert.match(href, /^(https?:|mailto:|#channel=)/, `an unsafe link: ${href}`);
  }
  const shown = await hostilePost.locator('.post-body').textContent();
  assert.ok(shown.includes('<script>window.__pwned = "script"</script>'), `raw HTML is shown as text: ${shown}`);
  await screenshot(page, '04-hostile-payload-inert');
  return hostile;
}

async function checkCut(page, lastSeq) {
  step('cut: the viewer shows it, posts sent meanwhile arrive after the restore');
  await page.evaluate(() => { window.__sameDocument = true; });
  await proxy('cut');
  await waitForState(page, 'reconnecting');
  assert.match(await page.textContent('#status'), /Connection lost/);
  const whileCut = [];
  for (const n of [1, 2, 3]) {
    whileCut.push(...(await slack({ text: `Sent while cut #${n}` })));
  }
  assert.deepEqual(whileCut, [lastSeq + 1, lastSeq + 2, lastSeq + 3]);
  await page.waitForTimeout(1500); // a few failed attempts meanwhile
  assert.equal(await post(page, whileCut[0]).count(), 0, 'a post got through the cut');
  await screenshot(page, '05-connection-cut');
  await proxy('restore');
  await waitForState(page, 'live');
  await waitForSeq(page, whileCut[2]);
  const [after] = await slack({ text: 'Back to normal' });
  await waitForSeq(page, after);
  assert.equal(await page.evaluate(() => window.__sameDocument), true, 'the page reloaded');
  return after;
}

async function checkEveryPostOnce(page, lastSeq) {
  step(`every seq from 1 to ${lastSeq} exactly once`);
  const seqs = await allSeqs(page);
  const sorted = [...seqs].sort((a, b) => a - b);
  assert.deepEqual(sorted, Array.from({ length: lastSeq }, (_, i) => i + 1), 'a gap or a duplicate');
}

async function main() {
  const seqs = await history();
  await withPage(config, async (page) => {
    const dialogs = [];
    const problems = [];
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      dialog.dismiss();
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    await page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (event) => {
        console.error(`CSP violation: ${event.violatedDirective} ${event.blockedURI}`);
      });
    });
    page.on('console', (message) => {
      if (message.text().startsWith('CSP violation')) problems.push(message.text());
    });
    await signIn(page);
    step('markdown renderer: each construct');
    await checkMarkdownCases(page);
    await checkHistory(page, seqs);
    await checkLive(page, seqs);
    const hostile = await checkPayloadIsInert(page, dialogs);
    const last = await checkCut(page, hostile);
    await checkEveryPostOnce(page, last);
    await screenshot(page, '06-after-reconnect');
    await page.emulateMedia({ colorScheme: 'dark' });
    await screenshot(page, '07-dark');
    await page.setViewportSize({ width: 420, height: 860 });
    await page.evaluate(() => document.querySelector('#feed').scrollTo(0, 1e6));
    await screenshot(page, '08-narrow');
    assert.deepEqual(problems, [], 'the page reported errors');
    step('all checks passed');
  });
}

run(main);
