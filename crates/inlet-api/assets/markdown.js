// Renders the markdown of Inlet's posts into DOM nodes.
//
// Safety comes from the method, not from filtering: nothing here parses
// HTML. Every piece of payload text becomes a Text node, every element is
// made with createElement, and a link gets an href only when its URL is an
// absolute http, https or mailto URL. Raw HTML in a message is shown as the
// text it is; a `javascript:` link is shown as its label, inert.
//
// The subset is what the dialects emit and what senders commonly write
// (Mattermost flavour): paragraphs with hard line breaks, ATX headings,
// fenced code, block quotes, lists, tables, rules; emphasis, strong,
// strikethrough, code spans, links, autolinks and bare URLs. Images are
// shown as links, never fetched. Emoji shortcodes (`:tada:`) show as the
// emoji, titled with the shortcode; unknown ones stay as written.

import { EMOJI } from './emoji.js';

const LINK_PROTOCOLS = new Set(['http:', 'https:', 'mailto:']);
/** Deeper quotes, lists or emphasis than this show as plain text (and cannot exhaust the stack). */
const MAX_NESTING = 24;
let nesting = 0;

/** Runs `render` one level deeper, or appends `text` as it is when too deep. */
function nested(parent, text, render) {
  if (nesting >= MAX_NESTING) {
    parent.append(text);
    return;
  }
  nesting += 1;
  try {
    render();
  } finally {
    nesting -= 1;
  }
}

/** The URL as an absolute http(s)/mailto URL, or null when it is anything else. */
export function safeUrl(raw) {
  let url;
  try {
    url = new URL(String(raw).trim());
  } catch {
    return null;
  }
  return LINK_PROTOCOLS.has(url.protocol) ? url.href : null;
}

/** A link to `url` holding `children`, or the children alone when the URL is not safe. */
export function makeLink(url, children) {
  const href = safeUrl(url);
  const element = document.createElement(href ? 'a' : 'span');
  if (href) {
    element.href = href;
    element.rel = 'noopener noreferrer nofollow';
    element.target = '_blank';
  }
  element.append(...children);
  return element;
}

/** The markdown `source` as a DocumentFragment. */
export function renderMarkdown(source) {
  const fragment = document.createDocumentFragment();
  const lines = String(source ?? '').replace(/\r\n?/g, '\n').split('\n');
  renderBlocks(lines, fragment);
  return fragment;
}

// === Blocks ===

const FENCE = /^ {0,3}(`{3,}|~{3,})\s*([^`\s]*)[^`]*$/;
const HEADING = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/;
const RULE = /^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$/;
const QUOTE = /^ {0,3}> ?/;
const LIST_ITEM = /^( {0,3})([-*+]|\d{1,9}[.)])([ \t]+|$)/;
const TABLE_DELIMITER = /^ {0,3}\|?[ \t]*:?-+:?[ \t]*(\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$/;

const isBlank = (line) => line.trim() === '';

function renderBlocks(lines, parent) {
  nested(parent, lines.join('\n'), () => renderBlockList(lines, parent));
}

function renderBlockList(lines, parent) {
  let i = 0;
  while (i < lines.length) {
    if (isBlank(lines[i])) {
      i += 1;
      continue;
    }
    const block = fencedCode(lines, i) ?? heading(lines, i) ?? rule(lines, i)
      ?? quote(lines, i) ?? list(lines, i) ?? table(lines, i) ?? paragraph(lines, i);
    parent.append(block.node);
    i = block.next;
  }
}

function fencedCode(lines, start) {
  const open = FENCE.exec(lines[start]);
  if (!open) return null;
  const fence = open[1];
  const body = [];
  let i = start + 1;
  while (i < lines.length) {
    const close = lines[i].trim();
    if (close.length >= fence.length && close === fence[0].repeat(close.length)) {
      i += 1;
      break;
    }
    body.push(lines[i]);
    i += 1;
  }
  const pre = document.createElement('pre');
  const code = document.createElement('code');
  if (/^[\w+#.-]{1,32}$/.test(open[2])) code.dataset.language = open[2];
  code.textContent = body.join('\n');
  pre.append(code);
  return { node: pre, next: i };
}

function heading(lines, start) {
  const match = HEADING.exec(lines[start]);
  if (!match) return null;
  // Posts sit under the page's own headings: # is the third level.
  const element = document.createElement(`h${Math.min(6, match[1].length + 2)}`);
  element.className = 'md-heading';
  renderInline(match[2] ?? '', element, true);
  return { node: element, next: start + 1 };
}

function rule(lines, start) {
  if (!RULE.test(lines[start])) return null;
  return { node: document.createElement('hr'), next: start + 1 };
}

function quote(lines, start) {
  if (!QUOTE.test(lines[start])) return null;
  const inner = [];
  let i = start;
  while (i < lines.length && QUOTE.test(lines[i])) {
    inner.push(lines[i].replace(QUOTE, ''));
    i += 1;
  }
  const element = document.createElement('blockquote');
  renderBlocks(inner, element);
  return { node: element, next: i };
}

function listMarker(line) {
  const match = LIST_ITEM.exec(line);
  if (!match) return null;
  const ordered = /\d/.test(match[2]);
  const spacing = match[3].length > 4 ? 1 : Math.max(1, match[3].length);
  return {
    ordered,
    // Items of one list share the bullet or the delimiter.
    kind: ordered ? match[2].slice(-1) : match[2],
    number: ordered ? Number.parseInt(match[2], 10) : null,
    indent: match[1].length,
    contentIndent: match[1].length + match[2].length + spacing,
    content: line.slice(match[0].length),
  };
}

const indentOf = (line) => line.length - line.trimStart().length;

function list(lines, start) {
  const first = listMarker(lines[start]);
  if (!first) return null;
  const element = document.createElement(first.ordered ? 'ol' : 'ul');
  if (first.ordered && first.number !== 1) element.start = first.number;
  let i = start;
  while (i < lines.length) {
    const marker = listMarker(lines[i]);
    if (!marker || marker.kind !== first.kind || marker.indent >= first.contentIndent) break;
    const itemLines = [marker.content];
    i += 1;
    while (i < lines.length) {
      const line = lines[i];
      if (isBlank(line)) {
        const next = lines.slice(i + 1).find((l) => !isBlank(l));
        if (next === undefined || indentOf(next) < marker.contentIndent) break;
        itemLines.push('');
      } else if (indentOf(line) >= marker.contentIndent) {
        itemLines.push(line.slice(marker.contentIndent));
      } else if (!listMarker(line) && !startsBlock(lines, i) && !isBlank(lines[i - 1])) {
        itemLines.push(line); // a lazy continuation of the item's paragraph
      } else {
        break;
      }
      i += 1;
    }
    const item = document.createElement('li');
    renderBlocks(itemLines, item);
    element.append(item);
    if (i < lines.length && isBlank(lines[i])) {
      const next = lines.slice(i).findIndex((l) => !isBlank(l));
      const following = next === -1 ? null : listMarker(lines[i + next]);
      if (!following || following.kind !== first.kind) break;
      i += next;
    }
  }
  return { node: element, next: i };
}

function splitRow(line) {
  let row = line.trim();
  if (row.startsWith('|')) row = row.slice(1);
  if (row.endsWith('|') && !row.endsWith('\\|')) row = row.slice(0, -1);
  const cells = [];
  let cell = '';
  for (let i = 0; i < row.length; i += 1) {
    if (row[i] === '\\' && row[i + 1] === '|') {
      cell += '|';
      i += 1;
    } else if (row[i] === '|') {
      cells.push(cell.trim());
      cell = '';
    } else {
      cell += row[i];
    }
  }
  cells.push(cell.trim());
  return cells;
}

function isTableStart(lines, i) {
  return lines[i].includes('|') && i + 1 < lines.length && lines[i + 1].includes('-')
    && TABLE_DELIMITER.test(lines[i + 1]);
}

function table(lines, start) {
  if (!isTableStart(lines, start)) return null;
  const header = splitRow(lines[start]);
  const alignments = splitRow(lines[start + 1]).map((cell) => {
    if (cell.startsWith(':') && cell.endsWith(':')) return 'center';
    if (cell.endsWith(':')) return 'right';
    return cell.startsWith(':') ? 'left' : '';
  });
  const element = document.createElement('table');
  const addRow = (section, cells, tag) => {
    const row = document.createElement('tr');
    header.forEach((_, column) => {
      const cell = document.createElement(tag);
      if (alignments[column]) cell.style.textAlign = alignments[column];
      renderInline(cells[column] ?? '', cell, true);
      row.append(cell);
    });
    section.append(row);
  };
  const head = document.createElement('thead');
  addRow(head, header, 'th');
  const body = document.createElement('tbody');
  let i = start + 2;
  while (i < lines.length && !isBlank(lines[i]) && lines[i].includes('|')) {
    addRow(body, splitRow(lines[i]), 'td');
    i += 1;
  }
  element.append(head, body);
  const wrapper = document.createElement('div');
  wrapper.className = 'md-table';
  wrapper.append(element);
  return { node: wrapper, next: i };
}

/** Whether line `i` opens a block that ends a paragraph. */
function startsBlock(lines, i) {
  const line = lines[i];
  const marker = listMarker(line);
  return FENCE.test(line) || HEADING.test(line) || RULE.test(line) || QUOTE.test(line)
    || (marker !== null && marker.content.trim() !== '' && (!marker.ordered || marker.number === 1))
    || isTableStart(lines, i);
}

function paragraph(lines, start) {
  const text = [lines[start].trim()];
  let i = start + 1;
  while (i < lines.length && !isBlank(lines[i]) && !startsBlock(lines, i)) {
    text.push(lines[i].trim());
    i += 1;
  }
  const element = document.createElement('p');
  renderInline(text.join('\n'), element, true);
  return { node: element, next: i };
}

// === Inline ===

const PUNCTUATION = /[!-/:-@[-`{-~]/;
const AUTOLINK = /^<([a-zA-Z][a-zA-Z0-9+.-]{1,31}:[^<>\s]*)>/;
const EMAIL_AUTOLINK = /^<([\w.!#$%&'*+/=?^`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9-]+)+)>/;
const BARE_URL = /(?:https?:\/\/|www\.)[^\s<]+/iy;
const ENTITIES = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };
const isWordChar = (ch) => ch !== undefined && /[\p{L}\p{N}]/u.test(ch);
const isSpace = (ch) => ch === undefined || /\s/.test(ch);

/** `&amp;` and friends as the characters they name (the result is text, never markup). */
function decodeEntities(text) {
  return text.replace(/&(#[xX][0-9a-fA-F]{1,6}|#\d{1,7}|[a-zA-Z]{2,8});/g, (whole, name) => {
    if (name[0] !== '#') return ENTITIES[name.toLowerCase()] ?? whole;
    const code = name[1] === 'x' || name[1] === 'X'
      ? Number.parseInt(name.slice(2), 16) : Number.parseInt(name.slice(1), 10);
    return code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff)
      ? String.fromCodePoint(code) : '\ufffd';
  });
}

/** Appends the inline markdown `text` to `parent`; links only when `links` (not inside a link). */
function renderInline(text, parent, links) {
  nested(parent, text, () => renderInlineRun(text, parent, links));
}

function renderInlineRun(text, parent, links) {
  let plain = '';
  let i = 0;
  while (i < text.length) {
    const token = inlineAt(text, i, links);
    if (token) {
      if (plain) parent.append(decodeEntities(plain));
      plain = '';
      parent.append(token.node);
      i = token.end;
    } else {
      plain += text[i];
      i += 1;
    }
  }
  if (plain) parent.append(decodeEntities(plain));
}

function inlineAt(text, i, links) {
  switch (text[i]) {
    case '\\': return escaped(text, i);
    case '\n': return { node: document.createElement('br'), end: i + 1 };
    case '`': return codeSpan(text, i);
    case '<': return links ? autolink(text, i) : null;
    case '!': return links && text[i + 1] === '[' ? linkAt(text, i + 1, true) : null;
    case '[': return links ? linkAt(text, i, false) : null;
    case '*': case '_': case '~': return emphasis(text, i, links);
    case 'h': case 'H': case 'w': case 'W': return links ? bareUrl(text, i) : null;
    case ':': return emojiAt(text, i);
    default: return null;
  }
}

const SHORTCODE = /:([a-z0-9_+-]{1,64}):/y;

/** `:shortcode:` as its emoji, the shortcode kept as its title and accessible name. */
function emojiAt(text, i) {
  SHORTCODE.lastIndex = i;
  const match = SHORTCODE.exec(text);
  const emoji = match && EMOJI.get(match[1]);
  if (!emoji) return null;
  const span = document.createElement('span');
  span.className = 'emoji';
  span.setAttribute('role', 'img');
  span.title = match[0];
  span.setAttribute('aria-label', match[0]);
  span.append(emoji);
  return { node: span, end: i + match[0].length };
}

function escaped(text, i) {
  const next = text[i + 1];
  if (next === '\n') return { node: document.createElement('br'), end: i + 2 };
  if (next === undefined || !PUNCTUATION.test(next)) return null;
  return { node: document.createTextNode(next), end: i + 2 };
}

const runLength = (text, i, ch) => {
  let end = i;
  while (text[end] === ch) end += 1;
  return end - i;
};

function codeSpan(text, i) {
  const length = runLength(text, i, '`');
  let search = i + length;
  while (search < text.length) {
    const close = text.indexOf('`', search);
    if (close === -1) break;
    const closeLength = runLength(text, close, '`');
    if (closeLength === length) {
      let content = text.slice(i + length, close).replace(/\n/g, ' ');
      if (/^ .*[^ ].* $/.test(content)) content = content.slice(1, -1);
      const code = document.createElement('code');
      code.textContent = content;
      return { node: code, end: close + length };
    }
    search = close + closeLength;
  }
  // An unmatched run is literal backticks.
  return { node: document.createTextNode('`'.repeat(length)), end: i + length };
}

function autolink(text, i) {
  const rest = text.slice(i);
  const email = EMAIL_AUTOLINK.exec(rest);
  if (email) {
    return { node: makeLink(`mailto:${email[1]}`, [email[1]]), end: i + email[0].length };
  }
  const match = AUTOLINK.exec(rest);
  if (!match) return null;
  // An unsafe autolink stays visible as the text it is.
  return { node: makeLink(match[1], [match[1]]), end: i + match[0].length };
}

function bareUrl(text, i) {
  if (isWordChar(text[i - 1])) return null;
  BARE_URL.lastIndex = i;
  const match = BARE_URL.exec(text);
  if (!match) return null;
  let url = match[0].replace(/[.,:;!?"'*_~]+$/, '');
  // A closing parenthesis belongs to the URL only when it opened one.
  while (url.endsWith(')') && (url.match(/\(/g) ?? []).length < (url.match(/\)/g) ?? []).length) {
    url = url.slice(0, -1);
  }
  const target = /^www\./i.test(url) ? `https://${url}` : url;
  return { node: makeLink(decodeEntities(target), [decodeEntities(url)]), end: i + url.length };
}

/** `[label](destination "title")`, or with `image` `![alt](destination)`, shown as a link. */
function linkAt(text, open, image) {
  const labelEnd = closingBracket(text, open);
  if (labelEnd === -1 || text[labelEnd + 1] !== '(') return null;
  const destination = linkDestination(text, labelEnd + 2);
  if (!destination) return null;
  const label = text.slice(open + 1, labelEnd);
  const children = document.createDocumentFragment();
  if (image) {
    children.append(`Image: ${decodeEntities(label) || 'untitled'}`);
  } else {
    renderInline(label, children, false);
  }
  const node = makeLink(destination.url, [children]);
  if (image) node.classList.add('md-image-link');
  return { node, end: destination.end };
}

/** A link label longer than this is not one (it bounds the search for its `]`). */
const MAX_LABEL = 1000;

function closingBracket(text, open) {
  let depth = 0;
  const end = Math.min(text.length, open + MAX_LABEL);
  for (let i = open; i < end; i += 1) {
    if (text[i] === '\\') {
      i += 1;
    } else if (text[i] === '`') {
      const length = runLength(text, i, '`');
      const close = text.indexOf('`'.repeat(length), i + length);
      if (close !== -1) i = close + length - 1;
    } else if (text[i] === '[') {
      depth += 1;
    } else if (text[i] === ']') {
      depth -= 1;
      if (depth === 0) return i;
    }
  }
  return -1;
}

/** The destination (and optional title) from just after `(` to `)`: { url, end }. */
function linkDestination(text, start) {
  let i = start;
  while (text[i] === ' ' || text[i] === '\n') i += 1;
  let url = '';
  if (text[i] === '<') {
    const close = text.indexOf('>', i);
    if (close === -1 || text.slice(i, close).includes('\n')) return null;
    url = text.slice(i + 1, close);
    i = close + 1;
  } else {
    let depth = 0;
    while (i < text.length && !/\s/.test(text[i])) {
      if (text[i] === '\\' && PUNCTUATION.test(text[i + 1] ?? '')) {
        url += text[i + 1];
        i += 2;
        continue;
      }
      if (text[i] === '(') depth += 1;
      if (text[i] === ')') {
        if (depth === 0) break;
        depth -= 1;
      }
      url += text[i];
      i += 1;
    }
  }
  while (text[i] === ' ' || text[i] === '\n') i += 1;
  const quotes = { '"': '"', "'": "'", '(': ')' };
  if (quotes[text[i]]) {
    const close = text.indexOf(quotes[text[i]], i + 1);
    if (close === -1) return null;
    i = close + 1;
    while (text[i] === ' ' || text[i] === '\n') i += 1;
  }
  if (text[i] !== ')') return null;
  return { url: decodeEntities(url), end: i + 1 };
}

const EMPHASIS_TAGS = { '**': 'strong', __: 'strong', '*': 'em', _: 'em', '~~': 'del' };

/** `**strong**`, `*em*`, `_em_`, `~~strike~~`: a left-flanking opener and a right-flanking closer. */
function emphasis(text, i, links) {
  const ch = text[i];
  const run = runLength(text, i, ch);
  const delimiter = ch === '~' ? '~~' : ch.repeat(Math.min(run, 2));
  if (ch === '~' && run !== 2) return null;
  const after = text[i + delimiter.length];
  if (isSpace(after)) return null;
  if (ch === '_' && isWordChar(text[i - 1])) return null; // snake_case is not emphasis
  const close = closingDelimiter(text, i + delimiter.length, delimiter);
  if (close === -1) {
    if (delimiter.length === 2 && ch !== '~') return emphasisSingle(text, i, links);
    return null;
  }
  const element = document.createElement(EMPHASIS_TAGS[delimiter]);
  renderInline(text.slice(i + delimiter.length, close), element, links);
  return { node: element, end: close + delimiter.length };
}

/** `**` without a closer may still open a single `*` (as in `**a*`: a literal `*`, then em). */
function emphasisSingle(text, i, links) {
  const close = closingDelimiter(text, i + 2, text[i]);
  if (close === -1) return null;
  const element = document.createElement('em');
  renderInline(text.slice(i + 2, close), element, links);
  const node = document.createDocumentFragment();
  node.append(text[i], element);
  return { node, end: close + 1 };
}

/**
 * Where a search for a closer found none, per text and delimiter: a later
 * opener of the same text cannot find one either, so a run of unclosed
 * openers costs one scan, not one each.
 */
const noCloser = { text: null, from: new Map() };

function closingDelimiter(text, from, delimiter) {
  if (noCloser.text !== text) {
    noCloser.text = text;
    noCloser.from.clear();
  }
  if (from >= (noCloser.from.get(delimiter) ?? Infinity)) return -1;
  const close = scanForCloser(text, from, delimiter);
  if (close === -1) noCloser.from.set(delimiter, from);
  return close;
}

function scanForCloser(text, from, delimiter) {
  const ch = delimiter[0];
  let i = from;
  while (i < text.length) {
    if (text[i] === '\\') {
      i += 2;
      continue;
    }
    if (text[i] === '`') {
      const length = runLength(text, i, '`');
      const close = text.indexOf('`'.repeat(length), i + length);
      i = close === -1 ? i + length : close + length;
      continue;
    }
    if (text[i] !== ch) {
      i += 1;
      continue;
    }
    const run = runLength(text, i, ch);
    const rightFlanking = !isSpace(text[i - 1]) && i > from;
    const wordAfter = ch === '_' && isWordChar(text[i + run]);
    if (run === delimiter.length && rightFlanking && !wordAfter) return i;
    if (run > delimiter.length && rightFlanking && !wordAfter && delimiter.length === 2) {
      return i + run - 2; // `***x***` closes the strong on the last two
    }
    i += run;
  }
  return -1;
}
