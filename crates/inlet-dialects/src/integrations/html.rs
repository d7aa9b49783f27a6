//! The text of the HTML some vendors send as a message (Intercom's
//! conversation parts, Freshdesk's ticket descriptions): tags dropped, a
//! paragraph, division, list item or line break ending a line, the common
//! entities decoded, a link kept as a markdown link and an image as a link
//! named by its file. Nothing is rendered as HTML, so the text is safe as
//! it is; markdown in it is the sender's.

/// `<p>Hi &amp; welcome</p><p>a<br>b</p>` → `Hi & welcome\na\nb`.
pub fn text_of_html(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    // Where the text of the open `<a href>` starts in `out`, and its address.
    let mut anchor: Option<(usize, String)> = None;
    while let Some(start) = rest.find('<') {
        out.push_str(&rest[..start]);
        let Some(end) = rest[start..].find('>') else {
            // An unclosed `<` (a comparison, not a tag) stays as written.
            rest = &rest[start..];
            break;
        };
        let raw = rest[start + 1..start + end].trim();
        let tag = raw.to_ascii_lowercase();
        inline_tag(raw, &tag, &mut out, &mut anchor);
        let ends_line = ["br", "/p", "/div", "/li", "/h1", "/h2", "/h3", "/tr"]
            .iter()
            .any(|t| {
                tag == *t || tag.starts_with(&format!("{t} ")) || tag.starts_with(&format!("{t}/"))
            });
        if ends_line && !out.ends_with('\n') {
            out.push('\n');
        }
        rest = &rest[start + end + 1..];
    }
    out.push_str(rest);
    let decoded = out
        .replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&amp;", "&");
    // Empty divisions and breaks leave runs of blank lines: one is enough.
    let mut text = decoded.trim().to_string();
    while text.contains("\n\n\n") {
        text = text.replace("\n\n\n", "\n\n");
    }
    text
}

/// An image becomes a link to it; a link keeps its address: the text
/// written since its `<a href>` is wrapped at its `</a>`.
fn inline_tag(raw: &str, tag: &str, out: &mut String, anchor: &mut Option<(usize, String)>) {
    if tag == "img" || tag.starts_with("img ") {
        if let Some(src) = attribute(raw, "src").filter(|u| is_web_address(u)) {
            out.push_str(&image_link(&src));
        }
    } else if tag == "a" || tag.starts_with("a ") {
        *anchor = attribute(raw, "href")
            .filter(|u| is_web_address(u))
            .map(|href| (out.len(), href));
    } else if tag == "/a"
        && let Some((from, href)) = anchor.take()
    {
        let text = out.split_off(from);
        let text = if text.trim().is_empty() {
            href.as_str()
        } else {
            text.trim()
        };
        out.push_str(&format!("[{text}]({href})"));
    }
}

/// The value of `name="…"` (or `'…'`) in a tag's text, as written.
fn attribute(tag: &str, name: &str) -> Option<String> {
    let lower = tag.to_ascii_lowercase();
    let mut from = 0;
    while let Some(at) = lower[from..].find(name) {
        let at = from + at;
        from = at + name.len();
        let before = lower[..at].chars().next_back();
        let after = lower[from..].trim_start();
        if !before.is_some_and(char::is_whitespace) || !after.starts_with('=') {
            continue;
        }
        let value = after[1..].trim_start();
        let offset = tag.len() - value.len();
        let quote = value.chars().next()?;
        let value = &tag[offset..];
        return Some(if quote == '"' || quote == '\'' {
            value[1..].split(quote).next()?.to_string()
        } else {
            value.split_whitespace().next()?.to_string()
        })
        .filter(|v| !v.is_empty());
    }
    None
}

/// Only web and mail addresses become links (never `javascript:` and
/// the like), and only those markdown can carry whole.
fn is_web_address(url: &str) -> bool {
    let lower = url.to_ascii_lowercase();
    ["https://", "http://", "mailto:"]
        .iter()
        .any(|scheme| lower.starts_with(scheme))
        && !url.contains(|c: char| c.is_whitespace() || c == ')' || c == '(')
}

/// An image as a link named by its file: `[pig.png](https://…/pig.png)`,
/// the query (a cache buster) left out.
fn image_link(src: &str) -> String {
    let url = src.split(['?', '#']).next().unwrap_or(src);
    let name = url
        .rsplit('/')
        .next()
        .filter(|n| !n.is_empty())
        .unwrap_or("image");
    format!("[{name}]({url})")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_go_and_blocks_end_lines() {
        assert_eq!(
            text_of_html("<p>Hi &amp; welcome</p><p>Line<br>two</p>"),
            "Hi & welcome\nLine\ntwo"
        );
        assert_eq!(text_of_html("<div>a</div><div>b<br/></div>"), "a\nb");
        assert_eq!(text_of_html("a < b"), "a < b");
        assert_eq!(text_of_html("&lt;script&gt;"), "<script>");
    }

    #[test]
    fn links_and_images_stay_as_markdown_links() {
        assert_eq!(
            text_of_html(r#"See <a href="https://example.com/doc">the doc</a>."#),
            "See [the doc](https://example.com/doc)."
        );
        assert_eq!(
            text_of_html(
                r#"<div><img class="x" src="https://cdn.example.com/a/pig.png?123" /></div>"#
            ),
            "[pig.png](https://cdn.example.com/a/pig.png)"
        );
        assert_eq!(
            text_of_html(r#"<a href='https://example.com'></a>"#),
            "[https://example.com](https://example.com)"
        );
    }

    #[test]
    fn blank_lines_do_not_pile_up() {
        assert_eq!(
            text_of_html("<div>a</div>\n<div><br></div>\n<div></div>\n<div>b</div>"),
            "a\n\nb"
        );
    }

    #[test]
    fn other_addresses_are_not_linked() {
        assert_eq!(
            text_of_html(r#"<a href="javascript:alert(1)">click</a> <img src="data:x">"#),
            "click"
        );
    }
}
