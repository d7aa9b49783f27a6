//! The text of the HTML some vendors send as a message (Intercom's
//! conversation parts, Freshdesk's ticket descriptions): tags dropped, a
//! paragraph, division, list item or line break ending a line, the common
//! entities decoded. Nothing is rendered as HTML, so the text is safe as
//! it is; markdown in it is the sender's.

/// `<p>Hi &amp; welcome</p><p>a<br>b</p>` → `Hi & welcome\na\nb`.
pub fn text_of_html(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        out.push_str(&rest[..start]);
        let Some(end) = rest[start..].find('>') else {
            // An unclosed `<` (a comparison, not a tag) stays as written.
            rest = &rest[start..];
            break;
        };
        let tag = rest[start + 1..start + end].trim().to_ascii_lowercase();
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
    decoded.trim().to_string()
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
}
