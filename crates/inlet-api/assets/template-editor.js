// The template editor of the webhook page (docs/templates.md): edit the
// webhook's template, paste a sample payload, see the post it would make
// (or the error, with its line and column) through the API's preview, and
// save it as a new version. Nothing is posted by a preview.

import { element } from './posts.js';
import { renderMarkdown } from './markdown.js';

const $ = (id) => document.getElementById(id);

/** "template.message, line 2, column 7" of an error that has a position. */
function place(error) {
  const parts = [error.field, error.line && `line ${error.line}`, error.column && `column ${error.column}`];
  return parts.filter(Boolean).join(', ');
}

function errorLine(error) {
  const where = place(error);
  return `${error.code ?? error.error}${where ? ` at ${where}` : ''}: ${error.detail}`;
}

export class TemplateEditor {
  constructor({ send }) {
    this.send = send;
    this.id = null;
    $('template-preview').addEventListener('click', () => this.preview());
    $('template-save').addEventListener('click', () => this.save());
  }

  /** Shows `webhook`'s template (empty fields when it has none). */
  open(webhook) {
    this.id = webhook.id;
    const template = webhook.template ?? {};
    $('template-message').value = template.message ?? '';
    $('template-topic').value = template.topic ?? '';
    if (!$('template-sample').value) $('template-sample').value = '{}';
    $('template-version').textContent = webhook.template_version
      ? `Version ${webhook.template_version} is active.`
      : 'No template: requests are read by the dialect of the URL they are sent to.';
    $('template-result').replaceChildren();
  }

  template() {
    const template = { message: $('template-message').value };
    const topic = $('template-topic').value;
    if (topic.trim()) template.topic = topic;
    return template;
  }

  show(...nodes) {
    $('template-result').replaceChildren(...nodes);
  }

  async preview() {
    let payload;
    try {
      payload = JSON.parse($('template-sample').value || '{}');
    } catch (error) {
      this.show(element('p', 'template-error', `The sample is not JSON: ${error.message}`));
      return;
    }
    const { status, body } = await this.send('POST', `/api/v1/webhooks/${this.id}/preview`, {
      template: this.template(),
      payload,
    });
    if (status !== 200) {
      this.show(element('p', 'template-error', body ? errorLine(body) : `The preview answered ${status}`));
      return;
    }
    if (body.outcome === 'ignored') {
      this.show(element('p', 'template-ignored', `Nothing would be posted: ${body.reason}`));
      return;
    }
    if (body.outcome === 'refused') {
      this.show(element('p', 'template-error', `The sender would get ${body.status}, ${errorLine(body.error)}`));
      return;
    }
    this.show(...body.posts.map((post) => {
      const article = element('article', 'template-post');
      const heading = post.thread_key ? `${post.username || 'webhook'} · thread ${post.thread_key}` : post.username || 'webhook';
      const text = element('div', 'template-post-text');
      text.append(renderMarkdown(post.message));
      article.append(element('p', 'template-post-author', heading), text);
      return article;
    }));
  }

  async save() {
    const { status, body } = await this.send('PATCH', `/api/v1/webhooks/${this.id}`, { template: this.template() });
    if (status !== 200) {
      this.show(element('p', 'template-error', body ? errorLine(body) : `Saving answered ${status}`));
      return;
    }
    $('template-version').textContent = `Version ${body.template_version} is active.`;
    this.show(element('p', 'template-saved', `Saved as version ${body.template_version}.`));
  }
}
