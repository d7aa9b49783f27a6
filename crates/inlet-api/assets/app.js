// The Inlet web viewer: sign in with a token, pick a channel, read its
// posts and watch new ones arrive live (stream.js), threads folded under
// their roots. How a post looks is in posts.js, its markdown in markdown.js;
// with an admin token, a webhook's page and delivery log in webhooks.js.

import { continues, element, renderPostSafely } from './posts.js';
import { ChannelStream } from './stream.js';
import { WebhookPage } from './webhooks.js';

const TOKEN_KEY = 'inlet.token';
/** Posts replayed when a channel opens. */
const HISTORY = 200;
/** Posts further than this from the bottom: the reader is reading, do not scroll. */
const NEAR_BOTTOM_PX = 120;

const $ = (id) => document.getElementById(id);

// === API ===

class Refused extends Error {}

const token = () => sessionStorage.getItem(TOKEN_KEY) ?? '';

async function api(path) {
  const response = await fetch(path, {
    headers: { Authorization: `Bearer ${token()}`, Accept: 'application/json' },
    cache: 'no-store',
  });
  if (response.status === 401 || response.status === 403) throw new Refused(path);
  if (!response.ok) throw new Error(`${path} answered ${response.status}`);
  return response.json();
}

/** Sends JSON to the API (the webhook page's template editor): the status
 * and the JSON answer, whatever the status but a refused token. */
async function send(method, path, body) {
  const response = await fetch(path, {
    method,
    headers: {
      Authorization: `Bearer ${token()}`,
      Accept: 'application/json',
      'Content-Type': 'application/json',
    },
    body: JSON.stringify(body),
    cache: 'no-store',
  });
  if (response.status === 401 || response.status === 403) throw new Refused(path);
  return { status: response.status, body: await response.json().catch(() => null) };
}

// === Connection state ===

const STATES = {
  idle: 'Not connected',
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
  refused: 'Token refused',
  missing: 'Channel not found',
};

function showState(state, detail) {
  const status = $('status');
  status.dataset.state = state;
  $('status-text').textContent = detail ?? STATES[state];
  $('retry').hidden = state !== 'reconnecting';
}

// === The feed: roots in seq order, replies folded under them ===

class Feed {
  constructor(root) {
    this.root = root;
    this.threads = new Map();
    this.lastDay = null;
    this.count = 0;
    /** The last top-level post, and whether nothing came between it and the next. */
    this.lastRoot = null;
  }

  clear(message) {
    this.threads.clear();
    this.lastDay = null;
    this.count = 0;
    this.lastRoot = null;
    this.root.replaceChildren();
    if (message) this.root.append(element('p', 'empty muted', message));
  }

  add(post) {
    const nearBottom = this.isNearBottom();
    if (this.count === 0) this.root.querySelector('.empty')?.remove();
    this.count += 1;
    if (post.root_id) {
      this.reply(post);
    } else {
      const newDay = this.addDayDivider(post.created_at);
      const previous = this.lastRoot;
      const adjoining = previous && !newDay && this.threads.get(previous.id)?.count === 0;
      const thread = this.thread(post.id);
      thread.rootSlot.replaceChildren(renderPostSafely(post, adjoining && continues(previous, post)));
      this.lastRoot = post;
    }
    if (nearBottom) this.scrollToBottom();
    else $('jump').hidden = false;
  }

  reply(post) {
    let thread = this.threads.get(post.root_id);
    if (!thread) {
      // The root is older than what the viewer loaded: fetch it into place.
      thread = this.thread(post.root_id);
      thread.rootSlot.append(element('p', 'post-note', 'Loading the start of this thread…'));
      this.loadRoot(thread, post.root_id);
    }
    thread.replies.append(renderPostSafely(post, continues(thread.lastReply, post)));
    thread.lastReply = post;
    thread.count += 1;
    thread.toggle.hidden = false;
    this.updateToggle(thread);
  }

  async loadRoot(thread, rootId) {
    try {
      const root = await api(`/api/v1/posts/${rootId}`);
      const article = renderPostSafely(root);
      article.classList.add('post-earlier');
      thread.rootSlot.replaceChildren(article);
    } catch {
      thread.rootSlot.replaceChildren(element('p', 'post-note', 'The start of this thread is not available.'));
    }
  }

  /** The thread element of `rootId`, made and appended when new. */
  thread(rootId) {
    const existing = this.threads.get(rootId);
    if (existing) return existing;
    const node = element('div', 'thread');
    node.dataset.rootId = rootId;
    const rootSlot = element('div', 'thread-root');
    const toggle = element('button', 'thread-toggle');
    toggle.type = 'button';
    toggle.hidden = true;
    const replies = element('div', 'replies');
    replies.id = `replies-${rootId}`;
    replies.hidden = true;
    toggle.setAttribute('aria-controls', replies.id);
    toggle.setAttribute('aria-expanded', 'false');
    const thread = { node, rootSlot, toggle, replies, count: 0, lastReply: null };
    toggle.addEventListener('click', () => {
      replies.hidden = !replies.hidden;
      this.updateToggle(thread);
    });
    node.append(rootSlot, toggle, replies);
    this.root.append(node);
    this.threads.set(rootId, thread);
    return thread;
  }

  updateToggle(thread) {
    const open = !thread.replies.hidden;
    const noun = thread.count === 1 ? 'reply' : 'replies';
    thread.toggle.setAttribute('aria-expanded', String(open));
    thread.toggle.textContent = open ? `Hide ${thread.count} ${noun}` : `${thread.count} ${noun}`;
    thread.node.classList.toggle('thread-open', open);
  }

  /** Adds a divider when `iso` starts a new day; returns whether it did. */
  addDayDivider(iso) {
    const day = new Date(iso).toDateString();
    if (day === this.lastDay) return false;
    this.lastDay = day;
    const divider = element('div', 'day-divider');
    divider.setAttribute('role', 'separator');
    divider.append(element('span', null, new Date(iso).toLocaleDateString([], {
      weekday: 'long', day: 'numeric', month: 'long', year: 'numeric',
    })));
    this.root.append(divider);
    return true;
  }

  isNearBottom() {
    const { scrollHeight, scrollTop, clientHeight } = this.root;
    return scrollHeight - scrollTop - clientHeight < NEAR_BOTTOM_PX;
  }

  scrollToBottom() {
    this.root.scrollTop = this.root.scrollHeight;
    $('jump').hidden = true;
  }
}

// === Teams, channels and the open channel ===

const feed = new Feed($('feed'));
let stream = null;
let channels = new Map();

function channelFromHash() {
  const match = /^#channel=([0-9a-fA-F-]{36})$/.exec(location.hash);
  return match ? match[1].toLowerCase() : null;
}

function webhookFromHash() {
  const match = /^#webhook=([0-9a-fA-F-]{36})$/.exec(location.hash);
  return match ? match[1].toLowerCase() : null;
}

const webhookPage = new WebhookPage({
  api,
  send,
  onRefused: () => signOut('The token was refused. Sign in again.'),
});

/** A team's webhooks, for an admin token; none for a read token. */
async function webhooksOf(team) {
  try {
    const { webhooks } = await api(`/api/v1/webhooks?team_id=${encodeURIComponent(team.id)}`);
    return webhooks.filter((webhook) => !webhook.revoked_at);
  } catch (error) {
    if (error instanceof Refused) return [];
    throw error;
  }
}

function webhookList(webhooks) {
  const items = element('ul', 'channel-list webhook-list');
  for (const webhook of webhooks) {
    const link = element('a', 'channel-link webhook-link');
    link.href = `#webhook=${webhook.id}`;
    link.dataset.webhookId = webhook.id;
    link.append(element('span', 'channel-sigil', '↳'));
    link.append(element('span', 'channel-name', webhook.display_name));
    const item = element('li');
    item.append(link);
    items.append(item);
  }
  return items;
}

async function loadSidebar() {
  const { teams } = await api('/api/v1/teams');
  const container = $('teams');
  container.replaceChildren();
  channels = new Map();
  for (const team of teams) {
    const { channels: list } = await api(`/api/v1/channels?team_id=${encodeURIComponent(team.id)}`);
    const section = element('section', 'team');
    const heading = element('h2', 'team-name', team.display_name || team.name);
    heading.id = `team-${team.id}`;
    section.setAttribute('aria-labelledby', heading.id);
    const items = element('ul', 'channel-list');
    for (const channel of list) {
      channels.set(channel.id, { ...channel, team });
      const link = element('a', `channel-link${channel.archived ? ' archived' : ''}`);
      link.href = `#channel=${channel.id}`;
      link.dataset.channelId = channel.id;
      link.append(element('span', 'channel-sigil', channel.kind === 'private' ? '🔒' : '#'));
      link.append(element('span', 'channel-name', channel.display_name || channel.name));
      if (channel.archived) link.title = 'Archived';
      const item = element('li');
      item.append(link);
      items.append(item);
    }
    if (list.length === 0) items.append(element('li', 'muted no-channels', 'No channels'));
    section.append(heading, items);
    const webhooks = await webhooksOf(team);
    if (webhooks.length > 0) {
      section.append(element('h3', 'team-name webhooks-heading', 'Webhooks'), webhookList(webhooks));
    }
    container.append(section);
  }
  if (teams.length === 0) container.append(element('p', 'muted no-channels', 'No teams yet.'));
}

/** The channel being opened: a slower, earlier open gives way to it. */
let opening = null;

/** Shows the channel or the webhook the address names. */
async function openFromHash() {
  const webhook = webhookFromHash();
  for (const link of document.querySelectorAll('.webhook-link')) {
    if (link.dataset.webhookId === webhook) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  $('webhook-page').hidden = !webhook;
  document.querySelector('main.channel').hidden = Boolean(webhook);
  if (webhook) {
    stream?.stop();
    stream = null;
    opening = null;
    for (const link of document.querySelectorAll('.channel-link[data-channel-id]')) link.removeAttribute('aria-current');
    await webhookPage.open(webhook, Refused);
    return;
  }
  webhookPage.stop();
  await openChannel(channelFromHash());
}

async function openChannel(id) {
  stream?.stop();
  stream = null;
  opening = id;
  for (const link of document.querySelectorAll('.channel-link[data-channel-id]')) {
    if (link.dataset.channelId === id) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  const known = channels.get(id);
  if (!known) {
    $('channel-title').textContent = 'Pick a channel';
    $('channel-team').textContent = '';
    feed.clear(id ? 'This channel does not exist or is not visible.' : 'Choose a channel on the left to see its posts.');
    showState('idle');
    return;
  }
  $('channel-title').textContent = `# ${known.display_name || known.name}`;
  $('channel-team').textContent = known.team.display_name || known.team.name;
  document.title = `${known.display_name || known.name} · Inlet`;
  feed.clear('No posts yet. New posts appear here as they arrive.');
  let fresh;
  try {
    fresh = await api(`/api/v1/channels/${id}`);
  } catch (error) {
    if (error instanceof Refused) signOut('The token was refused. Sign in again.');
    else showState('missing', 'Cannot load the channel');
    return;
  }
  if (opening !== id) return;
  const after = Math.max(0, fresh.last_seq - HISTORY);
  if (after > 0) {
    feed.root.prepend(element('p', 'history-note muted', `Showing the latest ${HISTORY} posts.`));
  }
  stream = new ChannelStream({
    channelId: id,
    afterSeq: after,
    token,
    onPost: (post) => feed.add(post),
    onState: showState,
    onRefused: () => signOut('The token was refused. Sign in again.'),
  }).start();
}

// === Signing in and out ===

function showSignIn(message) {
  $('app').hidden = true;
  $('signin').hidden = false;
  const error = $('signin-error');
  error.hidden = !message;
  error.textContent = message ?? '';
  $('token').focus();
}

function signOut(message) {
  stream?.stop();
  stream = null;
  webhookPage.stop();
  sessionStorage.removeItem(TOKEN_KEY);
  showSignIn(message);
}

async function enter() {
  try {
    await loadSidebar();
  } catch (error) {
    if (error instanceof Refused) signOut('That token was refused.');
    else showSignIn('The Inlet API cannot be reached. Try again in a moment.');
    return;
  }
  $('signin').hidden = true;
  $('app').hidden = false;
  await openFromHash();
}

$('signin-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const value = $('token').value.trim();
  if (!value) return;
  sessionStorage.setItem(TOKEN_KEY, value);
  $('token').value = '';
  enter();
});

$('signout').addEventListener('click', () => signOut());
$('jump').addEventListener('click', () => feed.scrollToBottom());
$('retry').addEventListener('click', () => stream?.retryNow());
$('feed').addEventListener('scroll', () => {
  if (feed.isNearBottom()) $('jump').hidden = true;
});
window.addEventListener('hashchange', () => openFromHash());
window.addEventListener('online', () => stream?.retryNow());

if (token()) enter();
else showSignIn();
