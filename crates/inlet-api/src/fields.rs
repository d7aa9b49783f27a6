//! What management input may hold, checked before the database sees it.
//! Each refusal is `400 bad_request` naming the field; nothing is stored.
//! Without these limits display names, descriptions, icon URLs and secrets
//! took megabytes, which every cached directory, listing and post then
//! carried.

use crate::error::ApiError;
use std::ops::RangeInclusive;

/// Team, channel and user names (slugs): what the schema's `CHECK`s allow.
pub const MAX_NAME_CHARS: usize = 64;
/// Display names of teams, users, channels and webhooks, and a webhook's
/// default post username: what fits a line of a channel list or a post.
pub const MAX_DISPLAY_NAME_CHARS: usize = 64;
pub const MAX_DESCRIPTION_CHARS: usize = 1024;
/// Browsers and proxies handle URLs up to about 2 KiB everywhere.
pub const MAX_ICON_URL_BYTES: usize = 2048;
/// Vendors' generated secrets are tens of characters, and GitHub, Gitea and
/// GitLab take any string the user types: 256 bytes leaves room for any of
/// them, 8 refuses a secret anyone could guess.
pub const SIGNING_SECRET_BYTES: RangeInclusive<usize> = 8..=256;
/// Mention keywords (`@all`, `@channel`, `@here`): a user of that name
/// could never be mentioned, and would be notified for the whole channel.
pub const RESERVED_USERNAMES: [&str; 3] = ["all", "channel", "here"];

fn invalid(field: &'static str, reason: impl Into<String>) -> ApiError {
    ApiError::InvalidField {
        field,
        reason: reason.into(),
    }
}

fn is_slug_byte(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
}

/// A channel name: 1-64 characters of a-z, 0-9, '.', '_' or '-'.
pub fn channel_name(value: &str) -> Result<(), ApiError> {
    if (1..=MAX_NAME_CHARS).contains(&value.len()) && value.bytes().all(is_slug_byte) {
        Ok(())
    } else {
        Err(invalid(
            "name",
            "must be 1-64 characters of a-z, 0-9, '.', '_' or '-'",
        ))
    }
}

/// A team name: as a channel name, starting with a letter or digit.
pub fn team_name(value: &str) -> Result<(), ApiError> {
    let starts_well = value
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    if starts_well && value.len() <= MAX_NAME_CHARS && value.bytes().all(is_slug_byte) {
        Ok(())
    } else {
        Err(invalid(
            "name",
            "must be 1-64 characters of a-z, 0-9, '.', '_' or '-', starting with a letter or digit",
        ))
    }
}

/// A user's username: a slug that is not a mention keyword.
pub fn username(value: &str) -> Result<(), ApiError> {
    if let Some(reserved) = RESERVED_USERNAMES
        .iter()
        .find(|r| r.eq_ignore_ascii_case(value))
    {
        return Err(invalid(
            "username",
            format!("{reserved:?} is reserved: @{reserved} mentions the whole channel"),
        ));
    }
    if (1..=MAX_NAME_CHARS).contains(&value.len()) && value.bytes().all(is_slug_byte) {
        Ok(())
    } else {
        Err(invalid(
            "username",
            "must be 1-64 characters of a-z, 0-9, '.', '_' or '-'",
        ))
    }
}

/// Free text shown as a name: at most `MAX_DISPLAY_NAME_CHARS` characters.
pub fn display_name(field: &'static str, value: &str) -> Result<(), ApiError> {
    at_most_chars(field, value, MAX_DISPLAY_NAME_CHARS)
}

/// The display name given (checked as [`display_name`]), or `name` when
/// none is.
pub fn display_name_or(given: Option<&str>, name: &str) -> Result<String, ApiError> {
    match given {
        Some(display) => {
            display_name("display_name", display)?;
            Ok(display.to_string())
        }
        None => Ok(name.to_string()),
    }
}

/// A webhook's default post username: shown on its posts, never
/// addressed, so any text of a display name's length.
pub fn post_username(value: &str) -> Result<(), ApiError> {
    at_most_chars("username", value, MAX_DISPLAY_NAME_CHARS)
}

pub fn description(value: &str) -> Result<(), ApiError> {
    at_most_chars("description", value, MAX_DESCRIPTION_CHARS)
}

fn at_most_chars(field: &'static str, value: &str, max: usize) -> Result<(), ApiError> {
    // Bytes bound characters from above: most values need no count.
    if value.len() <= max || value.chars().count() <= max {
        Ok(())
    } else {
        Err(invalid(field, format!("must be at most {max} characters")))
    }
}

/// An absolute http(s) URL of at most `MAX_ICON_URL_BYTES`.
pub fn icon_url(value: &str) -> Result<(), ApiError> {
    if value.len() > MAX_ICON_URL_BYTES {
        return Err(invalid(
            "icon_url",
            format!("must be at most {MAX_ICON_URL_BYTES} bytes"),
        ));
    }
    if !inlet_dialects::url::is_web_url(value) {
        return Err(invalid("icon_url", "must be an http(s) URL"));
    }
    Ok(())
}

pub fn signing_secret(value: &str) -> Result<(), ApiError> {
    if SIGNING_SECRET_BYTES.contains(&value.len()) {
        Ok(())
    } else {
        Err(invalid(
            "signing_secret",
            format!(
                "must be {} to {} bytes",
                SIGNING_SECRET_BYTES.start(),
                SIGNING_SECRET_BYTES.end()
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(result: Result<(), ApiError>) -> Option<&'static str> {
        match result {
            Err(ApiError::InvalidField { field, .. }) => Some(field),
            _ => None,
        }
    }

    #[test]
    fn mention_keywords_are_reserved_whatever_their_case() {
        for name in ["all", "ALL", "Channel", "here", "hErE"] {
            assert_eq!(field_of(username(name)), Some("username"), "{name}");
        }
        for name in ["allen", "channels", "here-bot", "owner"] {
            assert!(username(name).is_ok(), "{name}");
        }
    }

    #[test]
    fn names_are_slugs_of_at_most_64() {
        assert!(username(&"a".repeat(64)).is_ok());
        assert_eq!(field_of(username(&"a".repeat(65))), Some("username"));
        assert_eq!(field_of(username("")), Some("username"));
        assert_eq!(field_of(username("Alice")), Some("username"));
        assert!(channel_name("town-square").is_ok());
        assert_eq!(field_of(channel_name(&"a".repeat(65))), Some("name"));
        assert!(team_name("0team").is_ok());
        assert_eq!(field_of(team_name("-team")), Some("name"));
        assert_eq!(field_of(team_name("")), Some("name"));
    }

    #[test]
    fn text_limits_count_characters_not_bytes() {
        assert!(display_name("display_name", &"é".repeat(64)).is_ok());
        assert_eq!(
            field_of(display_name("display_name", &"é".repeat(65))),
            Some("display_name")
        );
        assert!(description(&"ü".repeat(1024)).is_ok());
        assert_eq!(
            field_of(description(&"u".repeat(1025))),
            Some("description")
        );
    }

    #[test]
    fn icon_urls_are_short_web_urls() {
        let long = format!("https://example.com/{}", "a".repeat(2048));
        assert_eq!(field_of(icon_url(&long)), Some("icon_url"));
        assert_eq!(field_of(icon_url("javascript:alert(1)")), Some("icon_url"));
        assert!(icon_url("https://example.com/a.png").is_ok());
    }

    #[test]
    fn signing_secrets_are_8_to_256_bytes() {
        assert_eq!(field_of(signing_secret("1234567")), Some("signing_secret"));
        assert!(signing_secret("12345678").is_ok());
        assert!(signing_secret(&"s".repeat(256)).is_ok());
        assert_eq!(
            field_of(signing_secret(&"s".repeat(257))),
            Some("signing_secret")
        );
    }
}
