// What the viewer's markdown renderer (assets/markdown.js) makes of the
// constructs posts use, checked in the page itself: each case is markdown
// and the HTML its DOM serialises to (links without their fixed
// rel/target attributes).

import assert from 'node:assert/strict';

const LINK = ' rel="noopener noreferrer nofollow" target="_blank"';

export const MARKDOWN_CASES = [
  ['snake_case_name and 2 * 3 * 4', '<p>snake_case_name and 2 * 3 * 4</p>'],
  ['**bold** _em_ ~~del~~ `code`', '<p><strong>bold</strong> <em>em</em> <del>del</del> <code>code</code></p>'],
  ['***both*** and **a*', '<p><strong><em>both</em></strong> and *<em>a</em></p>'],
  ['line one\nline two', '<p>line one<br>line two</p>'],
  ['&lt;b&gt; &amp; \\*not em\\*', '<p>&lt;b&gt; &amp; *not em*</p>'],
  ['<b>bold?</b>', '<p>&lt;b&gt;bold?&lt;/b&gt;</p>'],
  [
    '[x](https://a.example/(b)) <https://c.example> www.d.example.',
    '<p><a href="https://a.example/(b)">x</a> <a href="https://c.example/">https://c.example</a> '
      + '<a href="https://www.d.example/">www.d.example</a>.</p>',
  ],
  [
    '[a](javascript:alert(1)) [b](<https://e.example/x y>) <mailto:f@example.com>',
    '<p><span>a</span> <a href="https://e.example/x%20y">b</a> <a href="mailto:f@example.com">mailto:f@example.com</a></p>',
  ],
  ['![graph](https://g.example/p.png)', '<p><a href="https://g.example/p.png" class="md-image-link">Image: graph</a></p>'],
  ['- [\\[prod\\] runbook](<https://wiki.example/run book>)', '<ul><li><p><a href="https://wiki.example/run%20book">[prod] runbook</a></p></li></ul>'],
  ['### Title', '<h5 class="md-heading">Title</h5>'],
  ['- a\n  - b\n- c', '<ul><li><p>a</p><ul><li><p>b</p></li></ul></li><li><p>c</p></li></ul>'],
  ['3. three\n4. four', '<ol start="3"><li><p>three</p></li><li><p>four</p></li></ol>'],
  ['* **Priority**: High', '<ul><li><p><strong>Priority</strong>: High</p></li></ul>'],
  ['> quote\n> > nested', '<blockquote><p>quote</p><blockquote><p>nested</p></blockquote></blockquote>'],
  ["```js\nlet a = '<b>';\n```", '<pre><code data-language="js">let a = \'&lt;b&gt;\';</code></pre>'],
  ['````json\n{"a": "```"}\n````', '<pre><code data-language="json">{"a": "```"}</code></pre>'],
  [
    '| a | b |\n|---|--:|\n| 1 | `x\\|y` |',
    '<div class="md-table"><table><thead><tr><th>a</th><th style="text-align: right;">b</th></tr></thead>'
      + '<tbody><tr><td>1</td><td style="text-align: right;"><code>x|y</code></td></tr></tbody></table></div>',
  ],
  ['para\n\n---\n\nend', '<p>para</p><hr><p>end</p>'],
  ['[t](https://a.example "a title") **open `tick', '<p><a href="https://a.example/">t</a> **open `tick</p>'],
  [
    '(see https://x.example/a) and https://y.example/?a=1&amp;b=2.',
    '<p>(see <a href="https://x.example/a">https://x.example/a</a>) and '
      + '<a href="https://y.example/?a=1&amp;b=2">https://y.example/?a=1&amp;b=2</a>.</p>',
  ],
  [
    ':tada: done :white_check_mark: at 10:30:00, :no_such_emoji: `:tada:` :+1:',
    '<p><span class="emoji" role="img" title=":tada:" aria-label=":tada:">🎉</span> done '
      + '<span class="emoji" role="img" title=":white_check_mark:" aria-label=":white_check_mark:">✅</span> '
      + 'at 10:30:00, :no_such_emoji: <code>:tada:</code> '
      + '<span class="emoji" role="img" title=":+1:" aria-label=":+1:">👍</span></p>',
  ],
  ['<script>alert(1)</script><img src=x onerror=alert(2)>', '<p>&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;</p>'],
  [`${'> '.repeat(40)}deep`, `${'<blockquote>'.repeat(24)}${'&gt; '.repeat(16)}deep${'</blockquote>'.repeat(24)}`],
];

/** Renders every case with the page's own module and compares. */
export async function checkMarkdownCases(page) {
  const rendered = await page.evaluate(async (sources) => {
    const { renderMarkdown } = await import('/assets/markdown.js');
    return sources.map((source) => {
      const holder = document.createElement('div');
      holder.append(renderMarkdown(source));
      return holder.innerHTML;
    });
  }, MARKDOWN_CASES.map(([source]) => source));
  MARKDOWN_CASES.forEach(([source, expected], i) => {
    assert.equal(rendered[i].replaceAll(LINK, ''), expected, `markdown ${JSON.stringify(source)}`);
  });
}
