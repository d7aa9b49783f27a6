//! Jira wiki markup to markdown, for issue descriptions and comments:
//! headings (`h1.`–`h6.`), `*bold*`, `_italic_`, `{{mono}}`, `{code}` and
//! `{noformat}` blocks, `{quote}` blocks, `[text|url]` links, `[~user]`
//! mentions and `*`/`#`/`-` lists. Anything else is left as written.

use crate::integrations::text::fence_for;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Block {
    Text,
    Quote,
    /// Inside `{code}` or `{noformat}`: lines are kept verbatim.
    Code,
}

/// Converts a Jira markup text.
pub fn to_markdown(text: &str) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut block = Block::Text;
    let mut code: Vec<String> = Vec::new();
    let mut lang = String::new();
    let mut quoted_before_code = false;
    for raw in text.replace("\r\n", "\n").split('\n') {
        let mut rest = raw;
        loop {
            if block == Block::Code {
                match find_code_tag(rest) {
                    Some((start, end, _)) => {
                        code.push(rest[..start].to_string());
                        flush_code(&mut out, &mut code, &lang, quoted_before_code);
                        block = if quoted_before_code {
                            Block::Quote
                        } else {
                            Block::Text
                        };
                        rest = &rest[end..];
                        if rest.trim().is_empty() {
                            break;
                        }
                    }
                    None => {
                        code.push(rest.to_string());
                        break;
                    }
                }
            } else if let Some((start, end, tag_lang)) = find_code_tag(rest) {
                push_text(&mut out, &rest[..start], block);
                quoted_before_code = block == Block::Quote;
                lang = tag_lang;
                block = Block::Code;
                rest = &rest[end..];
                if rest.is_empty() {
                    break;
                }
            } else if let Some(pos) = rest.find("{quote}") {
                push_text(&mut out, &rest[..pos], block);
                block = if block == Block::Quote {
                    Block::Text
                } else {
                    Block::Quote
                };
                rest = &rest[pos + "{quote}".len()..];
                if rest.trim().is_empty() {
                    break;
                }
            } else {
                push_line(&mut out, rest, block);
                break;
            }
        }
    }
    if block == Block::Code {
        flush_code(&mut out, &mut code, &lang, quoted_before_code);
    }
    out.join("\n").trim().to_string()
}

/// The first `{code}`, `{code:lang}` or `{noformat}`: start, end, language.
fn find_code_tag(s: &str) -> Option<(usize, usize, String)> {
    let code = s.find("{code").and_then(|start| {
        let close = s[start..].find('}')? + start;
        let inner = &s[start + 1..close];
        let lang = match inner.strip_prefix("code") {
            Some("") => String::new(),
            Some(params) => params
                .strip_prefix(':')?
                .split('|')
                .next()
                .filter(|l| !l.contains('='))
                .unwrap_or("")
                .to_string(),
            None => return None,
        };
        Some((start, close + 1, lang))
    });
    let noformat = s
        .find("{noformat}")
        .map(|start| (start, start + "{noformat}".len(), String::new()));
    match (code, noformat) {
        (Some(c), Some(n)) => Some(if c.0 <= n.0 { c } else { n }),
        (c, n) => c.or(n),
    }
}

fn flush_code(out: &mut Vec<String>, code: &mut Vec<String>, lang: &str, quoted: bool) {
    while code.first().is_some_and(|l| l.trim().is_empty()) {
        code.remove(0);
    }
    while code.last().is_some_and(|l| l.trim().is_empty()) {
        code.pop();
    }
    let body = code.join("\n");
    let fence = fence_for(&body, '`');
    let prefix = if quoted { "> " } else { "" };
    out.push(format!("{prefix}{fence}{lang}"));
    out.extend(code.drain(..).map(|l| format!("{prefix}{l}")));
    out.push(format!("{prefix}{fence}"));
}

/// Text around a block tag: only when not blank.
fn push_text(out: &mut Vec<String>, text: &str, block: Block) {
    if !text.trim().is_empty() {
        push_line(out, text, block);
    }
}

fn push_line(out: &mut Vec<String>, line: &str, block: Block) {
    let converted = convert_line(line);
    match block {
        Block::Quote if converted.is_empty() => out.push(">".to_string()),
        Block::Quote => out.push(format!("> {converted}")),
        _ => out.push(converted),
    }
}

/// Headings and list items, then the inline markup.
fn convert_line(line: &str) -> String {
    let trimmed = line.trim_start();
    for level in 1..=6 {
        if let Some(rest) = trimmed.strip_prefix(&format!("h{level}. ")) {
            return format!("{} {}", "#".repeat(level), inline(rest.trim()));
        }
    }
    let marks: String = trimmed
        .chars()
        .take_while(|c| *c == '*' || *c == '#' || *c == '-')
        .collect();
    if !marks.is_empty()
        && trimmed[marks.len()..].starts_with(' ')
        && (marks.len() > 1 || !trimmed[1..].trim_start().is_empty())
        && !(marks.chars().all(|c| c == '-') && marks.len() > 1)
    {
        let depth = marks.len() - 1;
        let bullet = if marks.ends_with('#') { "1." } else { "-" };
        let item = inline(trimmed[marks.len()..].trim());
        return format!("{}{bullet} {item}", "  ".repeat(depth));
    }
    inline(line.trim_end())
}

/// `{{mono}}`, `[text|url]`, `[url]`, `[~user]`, `*bold*`, `_italic_`.
fn inline(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len() + 8);
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let rest: String = chars[i..].iter().collect();
        if rest.starts_with("{{")
            && let Some(end) = rest[2..].find("}}")
        {
            let inner = &rest[2..2 + end];
            out.push_str(&format!("`{inner}`"));
            i += 2 + inner.chars().count() + 2;
            continue;
        }
        if c == '['
            && let Some(end) = rest.find(']')
        {
            let inner = &rest[1..end];
            if let Some(link) = link(inner) {
                out.push_str(&link);
                i += inner.chars().count() + 2;
                continue;
            }
        }
        if (c == '*' || c == '_')
            && let Some(len) = emphasis_len(&chars, i)
        {
            let inner: String = chars[i + 1..i + 1 + len].iter().collect();
            let inner = inline(&inner);
            if c == '*' {
                out.push_str(&format!("**{inner}**"));
            } else {
                out.push_str(&format!("*{inner}*"));
            }
            i += len + 2;
            continue;
        }
        out.push(c);
        i += 1;
    }
    out
}

/// `text|url`, `url`, `~user`, `~accountid:…` inside brackets.
fn link(inner: &str) -> Option<String> {
    // `[~name]` shows the name, bold as Zulip does; `[~accountid:…]` has
    // no name to show and is left as written.
    if let Some(user) = inner.strip_prefix('~') {
        let named = !user.is_empty() && !user.starts_with("accountid:");
        return named.then(|| format!("**{user}**"));
    }
    let (label, url) = match inner.split_once('|') {
        Some((label, url)) => (label.trim(), url.trim()),
        None => ("", inner.trim()),
    };
    if !(crate::url::is_web_url(url) || url.starts_with("mailto:")) {
        return None;
    }
    Some(if label.is_empty() {
        format!("<{url}>")
    } else {
        format!("[{label}]({url})")
    })
}

/// The length of the emphasised text after the mark at `start`: the mark
/// opens a word and a matching mark closes one on the same line.
fn emphasis_len(chars: &[char], start: usize) -> Option<usize> {
    let mark = chars[start];
    let opens = start == 0 || !chars[start - 1].is_alphanumeric();
    let first = *chars.get(start + 1)?;
    if !opens || first.is_whitespace() || first == mark {
        return None;
    }
    let mut j = start + 2;
    while j < chars.len() {
        if chars[j] == mark
            && !chars[j - 1].is_whitespace()
            && chars.get(j + 1).is_none_or(|n| !n.is_alphanumeric())
        {
            return Some(j - start - 1);
        }
        j += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_markup_becomes_markdown() {
        assert_eq!(
            to_markdown("a *bold* and _it_ with {{x*y*}} see [docs|https://d.example/a] [~jane]"),
            "a **bold** and *it* with `x*y*` see [docs](https://d.example/a) **jane**"
        );
        assert_eq!(
            to_markdown("2 * 3 * 4 and snake_case_name"),
            "2 * 3 * 4 and snake_case_name"
        );
    }

    #[test]
    fn blocks_headings_and_lists() {
        let jira = "h2. Steps\n* one\n** nested\n# first\n{code:java}\nint x = *1*;\n{code}\n{quote}said _this_{quote}";
        assert_eq!(
            to_markdown(jira),
            "## Steps\n- one\n  - nested\n1. first\n```java\nint x = *1*;\n```\n> said *this*"
        );
        assert_eq!(to_markdown("{noformat}a\n b{noformat}"), "```\na\n b\n```");
    }
}
