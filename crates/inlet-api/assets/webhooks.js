// The webhook page (admin tokens only): a webhook at a glance (its channel,
// when its token was last used) and its delivery log, newest first, kept
// live: each request as it was answered and what became of it (posted,
// not posted and why, refused, dead-lettered, still in flight), and its
// template's editor (template-editor.js).

import { element } from './posts.js';
import { TemplateEditor } from './template-editor.js';

/** How often the log is read again while the page is open. */
const REFRESH_MS = 2000;
/** Requests shown. */
const ROWS = 50;

const OUTCOME_WORDS = {
  posted: 'Posted',
  in_flight: 'In flight',
  dead_lettered: 'Dead-lettered',
  rejected: 'Refused',
  filtered: 'Filtered',
  unsupported: 'Unsupported event',
  not_wanted: 'Not wanted',
  empty: 'Nothing to post',
  repeat: 'Repeat',
};

function when(iso) {
  if (!iso) return 'never';
  const date = new Date(iso);
  return `${date.toLocaleDateString()} ${date.toLocaleTimeString()}`;
}

/** What became of a request, in words. */
function fate(delivery) {
  switch (delivery.outcome) {
    case 'posted': {
      const seqs = (delivery.posts ?? []).map((post) => post.seq).join(', ');
      const n = delivery.posts?.length ?? 0;
      return `${n} post${n === 1 ? '' : 's'} (seq ${seqs})`;
    }
    case 'dead_lettered':
      return `${delivery.code}: ${delivery.detail} — dead letter ${delivery.dead_letter_id}`;
    case 'rejected':
      return `${delivery.code}: ${delivery.detail}`;
    default:
      return delivery.detail ?? '';
  }
}

function row(delivery) {
  const tr = element('tr', `delivery outcome-${delivery.outcome}`);
  tr.dataset.requestId = delivery.request_id;
  tr.dataset.outcome = delivery.outcome;
  const translator = delivery.event ? `${delivery.translator} · ${delivery.event}` : delivery.translator;
  const badge = element('span', 'outcome-badge', OUTCOME_WORDS[delivery.outcome] ?? delivery.outcome);
  const outcome = element('td', 'delivery-outcome');
  outcome.append(badge);
  tr.append(
    element('td', 'delivery-time', when(delivery.at)),
    element('td', 'delivery-status', delivery.status),
    element('td', 'delivery-translator', translator),
    outcome,
    element('td', 'delivery-fate', fate(delivery)),
    element('td', 'delivery-latency', `${delivery.latency_ms.toFixed(1)} ms`),
  );
  tr.title = `request ${delivery.request_id} · ${delivery.body_bytes} bytes`;
  return tr;
}

export class WebhookPage {
  constructor({ api, send, onRefused }) {
    this.api = api;
    this.editor = new TemplateEditor({ send });
    this.onRefused = onRefused;
    this.timer = null;
    this.openId = null;
  }

  stop() {
    clearInterval(this.timer);
    this.timer = null;
    this.openId = null;
  }

  async open(id, Refused) {
    this.stop();
    this.openId = id;
    const title = document.getElementById('webhook-title');
    const meta = document.getElementById('webhook-meta');
    const body = document.getElementById('deliveries-body');
    body.replaceChildren();
    let webhook;
    try {
      webhook = await this.api(`/api/v1/webhooks/${id}`);
    } catch (error) {
      if (error instanceof Refused) this.onRefused();
      title.textContent = 'Webhook not found';
      meta.textContent = '';
      return;
    }
    if (this.openId !== id) return;
    title.textContent = webhook.display_name;
    document.title = `${webhook.display_name} · Inlet`;
    const state = webhook.revoked_at ? 'revoked' : webhook.enabled ? 'enabled' : 'disabled';
    meta.textContent = `Last used: ${when(webhook.last_used_at)} · ${state}` +
      (webhook.keep_bodies ? ' · keeps bodies' : '');
    document.getElementById('webhook-last-used').dateTime = webhook.last_used_at ?? '';
    this.editor.open(webhook);
    const refresh = () => this.refresh(id, Refused);
    await refresh();
    if (this.openId === id) this.timer = setInterval(refresh, REFRESH_MS);
  }

  async refresh(id, Refused) {
    let page;
    try {
      page = await this.api(`/api/v1/webhooks/${id}/deliveries?limit=${ROWS}`);
    } catch (error) {
      if (error instanceof Refused) this.onRefused();
      document.getElementById('deliveries-state').textContent = 'The log cannot be read right now; retrying.';
      return;
    }
    if (this.openId !== id) return;
    document.getElementById('deliveries-state').textContent =
      page.deliveries.length === 0 ? 'No requests yet. They appear here as they arrive.' : '';
    document.getElementById('deliveries-body').replaceChildren(...page.deliveries.map(row));
  }
}
