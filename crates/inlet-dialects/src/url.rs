//! URLs taken from payloads: only `http`/`https` (and `mailto:` for links)
//! are kept; nothing is ever fetched.

/// Whether `url` is an absolute `http` or `https` URL.
pub fn is_web_url(url: &str) -> bool {
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    (lower.starts_with("http://") && url.len() > 7)
        || (lower.starts_with("https://") && url.len() > 8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_http_and_https_are_web_urls() {
        assert!(is_web_url("https://example.com/a.png"));
        assert!(is_web_url("HTTP://example.com"));
        for bad in [
            "javascript:alert(1)",
            "data:image/png;base64,AA",
            "ftp://x",
            "https://",
            "//x",
            "",
        ] {
            assert!(!is_web_url(bad), "{bad}");
        }
    }
}
