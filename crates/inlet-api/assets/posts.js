// How one post looks: author, BOT tag, time, case tag, the message as
// markdown, Slack attachments and notes. Payload text reaches the page only
// as Text nodes, and links only through makeLink (see markdown.js).

import { makeLink, renderMarkdown } from './markdown.js';

/** A post this soon after one by the same author joins it under one header. */
const GROUP_WITHIN_MS = 5 * 60 * 1000;
const ATTACHMENT_COLORS = { good: '#2eb67d', warning: '#ecb22e', danger: '#e01e5a' };

export function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

function avatarFor(name) {
  const avatar = element('div', 'avatar', (name.trim()[0] ?? '?').toUpperCase());
  avatar.setAttribute('aria-hidden', 'true');
  let hash = 0;
  for (const ch of name) hash = (hash * 31 + ch.codePointAt(0)) % 360;
  avatar.style.setProperty('--avatar-hue', String(hash));
  return avatar;
}

function timeOf(iso) {
  const date = new Date(iso);
  const time = element('time', 'post-time', date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }));
  time.dateTime = iso;
  time.title = date.toLocaleString();
  return time;
}

function caseTag(post) {
  if (!post.case_id) return null;
  const opening = post.root_id === null;
  const tag = element('span', `case-tag${opening ? ' case-opened' : ''}`,
    `${opening ? 'Case' : 'Case update'} ${post.case_id}`);
  tag.title = opening ? 'This post opened the case' : 'An update of the case';
  return tag;
}

/** Whether `post` continues `previous` (same author, soon after): it then shows no header. */
export function continues(previous, post) {
  if (!previous || post.case_id) return false;
  const sameAuthor = previous.username === post.username && previous.icon_url === post.icon_url
    && previous.props?.from_webhook === post.props?.from_webhook;
  const gap = Date.parse(post.created_at) - Date.parse(previous.created_at);
  return sameAuthor && gap >= 0 && gap < GROUP_WITHIN_MS;
}

function renderPost(post, continued = false) {
  const props = post.props ?? {};
  const article = element('article', continued ? 'post post-continued' : 'post');
  article.id = `post-${post.id}`;
  article.dataset.seq = String(post.seq);
  article.dataset.postId = post.id;
  if (post.case_id) article.dataset.caseId = post.case_id;
  const name = post.username || props.webhook_display_name || 'Webhook';
  const main = element('div', 'post-main');
  const header = element('header', 'post-header');
  header.append(element('span', 'author', name));
  if (props.from_webhook === 'true') {
    const bot = element('span', 'bot-tag', 'BOT');
    bot.title = props.webhook_display_name ? `Sent through the webhook “${props.webhook_display_name}”` : 'Sent through a webhook';
    header.append(bot);
  }
  header.append(timeOf(post.created_at));
  const tag = caseTag(post);
  if (tag) header.append(tag);
  main.append(header);
  if (post.message) {
    const body = element('div', 'post-body markdown');
    body.append(renderMarkdown(post.message));
    main.append(body);
  }
  const attachments = (Array.isArray(props.attachments) ? props.attachments : [])
    .filter((a) => a && typeof a === 'object' && !('@type' in a)); // emakin files are listed in the text
  if (attachments.length > 0) {
    const list = element('div', 'attachments');
    list.append(...attachments.map(renderAttachment));
    main.append(list);
  }
  const note = postNote(props);
  if (note) main.append(element('p', 'post-note', note));
  // A continued post keeps its header for screen readers; its time shows on hover.
  const gutter = continued ? element('div', 'gutter-time', timeOf(post.created_at).textContent) : avatarFor(name);
  article.append(gutter, main);
  return article;
}

/** A post that could not be formatted still shows, as plain text. */
export function renderPostSafely(post, continued = false) {
  try {
    return renderPost(post, continued);
  } catch (error) {
    console.error(`post ${post.seq} could not be formatted`, error);
    const article = element('article', 'post');
    article.dataset.seq = String(post.seq);
    article.dataset.postId = post.id;
    const main = element('div', 'post-main');
    main.append(element('div', 'post-body', post.message), element('p', 'post-note', 'This post could not be formatted.'));
    article.append(avatarFor(String(post.username ?? '?')), main);
    return article;
  }
}

function postNote(props) {
  if (props.unresolved_root_id) return `Replies to ${props.unresolved_root_id}, which is not in this channel.`;
  if (Array.isArray(props.unresolved_references) && props.unresolved_references.length > 0) {
    return `Refers to unknown cases: ${props.unresolved_references.join(', ')}.`;
  }
  return null;
}

function attachmentColor(color) {
  if (typeof color !== 'string') return null;
  if (ATTACHMENT_COLORS[color]) return ATTACHMENT_COLORS[color];
  const hex = color.startsWith('#') ? color : `#${color}`;
  return /^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/.test(hex) ? hex : null;
}

const text = (value) => (value === undefined || value === null ? '' : String(value));

function renderAttachment(attachment) {
  const wrapper = element('div', 'attachment');
  if (text(attachment.pretext)) {
    const pretext = element('div', 'attachment-pretext markdown');
    pretext.append(renderMarkdown(attachment.pretext));
    wrapper.append(pretext);
  }
  const box = element('div', 'attachment-box');
  const color = attachmentColor(attachment.color);
  if (color) box.style.setProperty('--bar', color);
  const author = text(attachment.author_name);
  if (author) {
    const line = element('div', 'attachment-author');
    line.append(attachment.author_link ? makeLink(attachment.author_link, [author]) : author);
    box.append(line);
  }
  const title = text(attachment.title);
  if (title) {
    const heading = element('div', 'attachment-title');
    heading.append(attachment.title_link ? makeLink(attachment.title_link, [title]) : title);
    box.append(heading);
  }
  if (text(attachment.text)) {
    const body = element('div', 'attachment-text markdown');
    body.append(renderMarkdown(attachment.text));
    box.append(body);
  }
  const fields = Array.isArray(attachment.fields) ? attachment.fields.filter((f) => f && typeof f === 'object') : [];
  if (fields.length > 0) box.append(renderFields(fields));
  const media = [['image_url', 'Image'], ['thumb_url', 'Thumbnail']]
    .filter(([key]) => text(attachment[key]))
    .map(([key, label]) => makeLink(attachment[key], [label]));
  if (media.length > 0) {
    const line = element('div', 'attachment-media');
    line.append(...media);
    box.append(line);
  }
  if (text(attachment.footer)) {
    box.append(element('div', 'attachment-footer', text(attachment.footer).slice(0, 300)));
  }
  if (box.childElementCount === 0 && text(attachment.fallback)) {
    box.append(element('div', 'attachment-text', attachment.fallback));
  }
  wrapper.append(box);
  return wrapper;
}

function renderFields(fields) {
  const list = element('dl', 'attachment-fields');
  for (const field of fields) {
    const short = field.short === true || field.short === 'true';
    const item = element('div', `field${short ? ' field-short' : ''}`);
    item.append(element('dt', null, text(field.title)));
    const value = element('dd', 'markdown');
    value.append(renderMarkdown(text(field.value)));
    item.append(value);
    list.append(item);
  }
  return list;
}
