//! Text conventions shared by the formatters: thread keys and display
//! topics, quote blocks, the setup message, plurals.

use unicode_normalization::UnicodeNormalization;

pub const MAX_THREAD_KEY_BYTES: usize = 255;
/// Zulip's topic length: longer topics show 57 characters and `...`.
const MAX_TOPIC_CHARS: usize = 60;

/// A thread key: NFC, at most 255 bytes (cut at a character boundary, so a
/// long repository name still gives a stable key).
pub fn thread_key(raw: &str) -> String {
    let key: String = raw.nfc().collect();
    cut_bytes(&key, MAX_THREAD_KEY_BYTES).to_string()
}

/// A display topic, truncated as Zulip does (57 characters and `...`).
pub fn display_topic(raw: &str) -> String {
    if raw.chars().count() <= MAX_TOPIC_CHARS {
        return raw.to_string();
    }
    let kept: String = raw.chars().take(MAX_TOPIC_CHARS - 3).collect();
    format!("{kept}...")
}

fn cut_bytes(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// A block quote with a blank line before it (Zulip's `~~~ quote` block,
/// written as CommonMark `> ` lines since our clients render CommonMark,
/// where `~~~ quote` would be a code block); empty when the text is blank.
pub fn quote(text: &str) -> String {
    let text = text.trim();
    if text.is_empty() {
        return String::new();
    }
    let mut out = String::with_capacity(text.len() + 16);
    out.push('\n');
    for line in text.lines() {
        out.push('\n');
        out.push('>');
        if !line.is_empty() {
            out.push(' ');
            out.push_str(line.trim_end_matches('\r'));
        }
    }
    out
}

/// A fence of `c` longer than any run of `c` in `text` (at least three).
pub fn fence_for(text: &str, c: char) -> String {
    let mut longest = 0;
    let mut run = 0;
    for ch in text.chars() {
        run = if ch == c { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    std::iter::repeat_n(c, (longest + 1).max(3)).collect()
}

/// "<Name> webhook has been successfully configured[ by <user>]."
pub fn configured_message(display_name: &str, user: Option<&str>) -> String {
    match user.filter(|u| !u.is_empty()) {
        Some(user) => format!("{display_name} webhook has been successfully configured by {user}."),
        None => format!("{display_name} webhook has been successfully configured."),
    }
}

/// `1 commit`, `2 commits`.
pub fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// The first line of a text (commit messages).
pub fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or("").trim_end()
}

/// Ends a sentence with `end` unless it already ends in punctuation
/// (Zulip: no `.` after a title that ends in `?`, `!` or `.`).
pub fn end_sentence(mut line: String, end: char) -> String {
    if end == '.' && line.ends_with(['.', '?', '!']) {
        return line;
    }
    line.push(end);
    line
}

/// `[label](url)` when `url` is a web URL, else `label` alone.
pub fn linked(label: &str, url: Option<&str>) -> String {
    match url.map(str::trim).filter(|u| crate::url::is_web_url(u)) {
        Some(url) => format!("[{label}]({url})"),
        None => label.to_string(),
    }
}

/// A Unix time's calendar date and time of day, in UTC.
pub struct CivilTime {
    pub year: i64,
    /// 1 to 12.
    pub month: i64,
    pub day: i64,
    pub hour: i64,
    pub minute: i64,
    pub second: i64,
}

impl CivilTime {
    /// The UTC date and time of `seconds` since the Unix epoch, by Howard
    /// Hinnant's `civil_from_days`.
    pub fn from_unix(seconds: i64) -> Self {
        let days = seconds.div_euclid(86_400);
        let secs = seconds.rem_euclid(86_400);
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        Self {
            year: yoe + era * 400 + i64::from(month <= 2),
            month,
            day,
            hour: secs / 3600,
            minute: secs % 3600 / 60,
            second: secs % 60,
        }
    }
}

/// A Unix time in seconds as `2024-04-22 07:08:28 UTC`; `None` outside
/// years 0–9999 (a vendor's malformed timestamp is shown as sent).
pub fn utc_from_unix(seconds: i64) -> Option<String> {
    // 0000-01-01 and 9999-12-31 as Unix seconds.
    if !(-62_167_219_200..=253_402_300_799).contains(&seconds) {
        return None;
    }
    let t = CivilTime::from_unix(seconds);
    Some(format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC",
        t.year, t.month, t.day, t.hour, t.minute, t.second
    ))
}

/// An inline code span that survives backticks in the text.
pub fn code_span(text: &str) -> String {
    if !text.contains('`') {
        return format!("`{text}`");
    }
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    format!("{fence} {text} {fence}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_topics_are_cut_like_zulip() {
        let t =
            display_topic("testing-gh / issue #6 This is a sample issue to test GH Integration");
        assert_eq!(
            t,
            "testing-gh / issue #6 This is a sample issue to test GH I..."
        );
        assert_eq!(t.chars().count(), 60);
        assert_eq!(display_topic("short"), "short");
    }

    #[test]
    fn thread_keys_are_nfc_and_bounded() {
        assert_eq!(thread_key("e\u{301}"), "\u{e9}");
        let long = "é".repeat(200);
        let key = thread_key(&long);
        assert!(key.len() <= MAX_THREAD_KEY_BYTES);
        assert_eq!(key.len(), 254);
    }

    #[test]
    fn fences_outgrow_the_text() {
        assert_eq!(fence_for("a ~~~ b", '~'), "~~~~");
        assert_eq!(fence_for("plain", '`'), "```");
    }

    #[test]
    fn unix_times_are_shown_in_utc() {
        assert_eq!(utc_from_unix(0).as_deref(), Some("1970-01-01 00:00:00 UTC"));
        assert_eq!(
            utc_from_unix(1_713_769_708).as_deref(),
            Some("2024-04-22 07:08:28 UTC")
        );
        assert_eq!(
            utc_from_unix(951_782_400).as_deref(),
            Some("2000-02-29 00:00:00 UTC")
        );
        assert_eq!(utc_from_unix(i64::MAX), None);
    }

    #[test]
    fn code_spans_survive_backticks() {
        assert_eq!(code_span("[ var='B' value=1 ]"), "`[ var='B' value=1 ]`");
        assert_eq!(code_span("a ` b"), "`` a ` b ``");
    }
}
