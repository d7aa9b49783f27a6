//! A small reader of `multipart/form-data` bodies (RFC 7578): enough for
//! webhook senders, which send a few short text parts. The boundary comes
//! from the content type; line breaks may be CRLF or, from hand-made
//! senders, bare LF; part names may be quoted (with `\"` escapes) or not.
//! Nothing is streamed: the body is already in memory and size-limited.

/// One part: its name, its declared content type, and its bytes.
#[derive(Debug, PartialEq, Eq)]
pub struct Part<'a> {
    pub name: String,
    pub content_type: Option<String>,
    pub data: &'a [u8],
}

/// The `boundary` parameter of a multipart content type.
pub fn boundary(content_type: &str) -> Option<String> {
    params(content_type)
        .find(|(name, _)| name.eq_ignore_ascii_case("boundary"))
        .map(|(_, value)| value)
        .filter(|b| !b.is_empty() && b.len() <= 200)
}

/// The named parts of `body`, in order; parts without a name are skipped.
pub fn parse<'a>(body: &'a [u8], boundary: &str) -> Result<Vec<Part<'a>>, String> {
    let delimiter = format!("--{boundary}");
    let delimiter = delimiter.as_bytes();
    let mut at = find_delimiter(body, delimiter, 0)
        .ok_or_else(|| "multipart body does not contain its boundary".to_string())?
        .1;
    let mut parts = Vec::new();
    loop {
        if body[at..].starts_with(b"--") {
            return Ok(parts);
        }
        let headers_start =
            skip_line_end(body, at).ok_or("multipart boundary line is malformed")?;
        let (headers, data_start) = headers(body, headers_start)?;
        let (data_end, next) = find_delimiter(body, delimiter, data_start)
            .ok_or("multipart body ends without its closing boundary")?;
        if let Some(name) = headers.name {
            parts.push(Part {
                name,
                content_type: headers.content_type,
                data: &body[data_start..data_end],
            });
        }
        at = next;
    }
}

/// The next delimiter at the start of a line from `from`: where the data
/// before it ends (its line break excluded) and where the delimiter ends.
fn find_delimiter(body: &[u8], delimiter: &[u8], from: usize) -> Option<(usize, usize)> {
    let mut line = from;
    loop {
        if body[line..].starts_with(delimiter) {
            let end = line + delimiter.len();
            if is_delimiter_end(&body[end..]) {
                let data_end = if line >= from + 2 && body[line - 2] == b'\r' {
                    line - 2
                } else {
                    line.saturating_sub(1).max(from)
                };
                return Some((data_end, end));
            }
        }
        line += body[line..].iter().position(|&b| b == b'\n')? + 1;
    }
}

/// After a delimiter comes `--`, or optional blanks and a line end.
fn is_delimiter_end(rest: &[u8]) -> bool {
    if rest.starts_with(b"--") {
        return true;
    }
    let rest = &rest[rest
        .iter()
        .take_while(|&&b| b == b' ' || b == b'\t')
        .count()..];
    rest.is_empty() || rest.starts_with(b"\r\n") || rest.starts_with(b"\n")
}

fn skip_line_end(body: &[u8], at: usize) -> Option<usize> {
    let blanks = body[at..]
        .iter()
        .take_while(|&&b| b == b' ' || b == b'\t')
        .count();
    let rest = &body[at + blanks..];
    if rest.starts_with(b"\r\n") {
        Some(at + blanks + 2)
    } else if rest.starts_with(b"\n") {
        Some(at + blanks + 1)
    } else {
        None
    }
}

#[derive(Default)]
struct Headers {
    name: Option<String>,
    content_type: Option<String>,
}

/// Reads the part headers from `from` to the blank line; returns them and
/// where the data starts.
fn headers(body: &[u8], from: usize) -> Result<(Headers, usize), String> {
    let mut found = Headers::default();
    let mut line_start = from;
    loop {
        let newline = body[line_start..]
            .iter()
            .position(|&b| b == b'\n')
            .ok_or("multipart part headers are not terminated")?;
        let line = &body[line_start..line_start + newline];
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        line_start += newline + 1;
        if line.is_empty() {
            return Ok((found, line_start));
        }
        let line = std::str::from_utf8(line).map_err(|_| "multipart part header is not UTF-8")?;
        let Some((name, value)) = line.split_once(':') else {
            return Err(format!("multipart part header {line:?} has no `:`"));
        };
        if name.trim().eq_ignore_ascii_case("content-disposition") {
            found.name = params(value)
                .find(|(n, _)| n.eq_ignore_ascii_case("name"))
                .map(|(_, v)| v);
        } else if name.trim().eq_ignore_ascii_case("content-type") {
            found.content_type = Some(value.trim().to_string());
        }
    }
}

/// The `name=value` parameters after the first `;` of a header value;
/// quoted values are unquoted and unescaped.
pub fn params(header: &str) -> impl Iterator<Item = (String, String)> + '_ {
    let mut rest = header.split_once(';').map_or("", |(_, p)| p);
    std::iter::from_fn(move || {
        loop {
            rest = rest.trim_start_matches([' ', '\t', ';']);
            if rest.is_empty() {
                return None;
            }
            let name_end = rest.find(['=', ';']).unwrap_or(rest.len());
            let name = rest[..name_end].trim().to_string();
            if !rest[name_end..].starts_with('=') {
                rest = &rest[name_end..];
                continue;
            }
            let (value, after) = param_value(&rest[name_end + 1..]);
            rest = after;
            return Some((name, value));
        }
    })
}

fn param_value(raw: &str) -> (String, &str) {
    let raw = raw.trim_start();
    let Some(quoted) = raw.strip_prefix('"') else {
        let end = raw.find(';').unwrap_or(raw.len());
        return (raw[..end].trim().to_string(), &raw[end..]);
    };
    let mut value = String::new();
    let mut chars = quoted.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => {
                if let Some((_, escaped)) = chars.next() {
                    value.push(escaped);
                }
            }
            '"' => return (value, &quoted[i + 1..]),
            c => value.push(c),
        }
    }
    (value, "")
}

#[cfg(test)]
mod tests {
    use super::*;

    const CT: &str = "multipart/form-data; boundary=------------------------abc123";

    fn body(line_end: &str) -> Vec<u8> {
        [
            "preamble",
            "--------------------------abc123",
            "Content-Disposition: form-data; name=\"text\"",
            "",
            "hello",
            "world",
            "--------------------------abc123",
            "Content-Disposition: form-data; name=channel",
            "Content-Type: text/plain; charset=utf-8",
            "",
            "ops",
            "--------------------------abc123",
            "Content-Disposition: form-data; filename=\"x.txt\"",
            "",
            "no name",
            "--------------------------abc123--",
            "",
        ]
        .join(line_end)
        .into_bytes()
    }

    #[test]
    fn boundary_is_read_quoted_or_not() {
        assert_eq!(
            boundary(CT).as_deref(),
            Some("------------------------abc123")
        );
        assert_eq!(
            boundary("multipart/form-data; boundary=\"a b\"").as_deref(),
            Some("a b")
        );
        assert_eq!(boundary("multipart/form-data"), None);
        assert_eq!(boundary("multipart/form-data; boundary="), None);
    }

    #[test]
    fn parts_are_read_with_crlf_or_lf() {
        for line_end in ["\r\n", "\n"] {
            let body = body(line_end);
            let parts = parse(&body, "------------------------abc123").unwrap();
            assert_eq!(parts.len(), 2, "{line_end:?}");
            assert_eq!(parts[0].name, "text");
            assert_eq!(parts[0].data, format!("hello{line_end}world").as_bytes());
            assert_eq!(parts[1].name, "channel");
            assert_eq!(parts[1].data, b"ops");
            assert_eq!(
                parts[1].content_type.as_deref(),
                Some("text/plain; charset=utf-8")
            );
        }
    }

    #[test]
    fn quoted_names_may_hold_escapes_and_semicolons() {
        let params: Vec<_> = params("form-data; name=\"a\\\"b;c\"; filename=f").collect();
        assert_eq!(
            params,
            [
                ("name".into(), "a\"b;c".into()),
                ("filename".into(), "f".into())
            ]
        );
    }

    #[test]
    fn a_boundary_inside_data_does_not_end_the_part_unless_it_starts_a_line() {
        let body = b"--b\r\nContent-Disposition: form-data; name=\"text\"\r\n\r\nx --b y\r\n--bb\r\n--b--\r\n";
        let parts = parse(body, "b").unwrap();
        assert_eq!(parts[0].data, b"x --b y\r\n--bb");
    }

    #[test]
    fn broken_bodies_are_refused() {
        assert!(parse(b"no boundary here", "b").is_err());
        assert!(
            parse(
                b"--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nunterminated",
                "b"
            )
            .is_err()
        );
        assert!(parse(b"--b\r\nbroken header\r\n\r\nx\r\n--b--", "b").is_err());
        assert!(parse(b"--bxyz", "b").is_err());
        assert_eq!(parse(b"--b--\r\n", "b").unwrap(), []);
    }
}
