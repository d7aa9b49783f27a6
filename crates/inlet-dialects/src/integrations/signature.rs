//! Sender signatures: HMAC-SHA256 of the raw body, compared in constant
//! time (`Mac::verify_slice`). Zulip does not verify; we do whenever the
//! webhook has a signing secret (dialects.md).

use super::error::IntegrationError;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Checks `header_value` (`sha256=<hex>`, or bare hex when `prefix` is
/// empty) against HMAC-SHA256(`secret`, `body`). A missing header, a
/// malformed value and a mismatch are all `invalid_signature`.
pub fn verify_hmac_sha256(
    header_name: &str,
    header_value: Option<&str>,
    prefix: &str,
    body: &[u8],
    secret: &[u8],
) -> Result<(), IntegrationError> {
    let Some(value) = header_value else {
        return Err(IntegrationError::invalid_signature(format!(
            "the webhook has a signing secret and the request has no {header_name} header"
        )));
    };
    let malformed = || {
        IntegrationError::invalid_signature(format!(
            "header {header_name} is not of the form {prefix}<hex digest>"
        ))
    };
    let hex_digest = value.trim().strip_prefix(prefix).ok_or_else(malformed)?;
    let expected = hex::decode(hex_digest).map_err(|_| malformed())?;
    let mut mac = Hmac::<Sha256>::new_from_slice(secret)
        .map_err(|_| IntegrationError::invalid_signature("unusable signing secret"))?;
    mac.update(body);
    mac.verify_slice(&expected).map_err(|_| {
        IntegrationError::invalid_signature(format!(
            "header {header_name} does not match the body signed with the webhook's secret"
        ))
    })
}

/// Checks a shared-token header (GitLab's `X-Gitlab-Token`) against the
/// secret. Both sides are first passed through HMAC-SHA256 under a fixed
/// key, so the comparison of the digests (`verify_slice`) is constant-time
/// and leaks neither content nor length.
pub fn verify_token(
    header_name: &str,
    header_value: Option<&str>,
    secret: &[u8],
) -> Result<(), IntegrationError> {
    let Some(value) = header_value else {
        return Err(IntegrationError::invalid_signature(format!(
            "the webhook has a signing secret and the request has no {header_name} header"
        )));
    };
    let digest = |bytes: &[u8]| {
        let mut mac = Hmac::<Sha256>::new_from_slice(b"inlet token comparison")
            .map_err(|_| IntegrationError::invalid_signature("unusable signing secret"))?;
        mac.update(bytes);
        Ok::<_, IntegrationError>(mac)
    };
    let expected = digest(secret)?.finalize().into_bytes();
    digest(value.as_bytes())?
        .verify_slice(&expected)
        .map_err(|_| {
            IntegrationError::invalid_signature(format!(
                "header {header_name} does not match the webhook's secret"
            ))
        })
}

/// `sha256=<hex>` for `body` under `secret` (tests and benches sign with it).
pub fn sign_hmac_sha256(secret: &[u8], body: &[u8]) -> String {
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret) {
        Ok(mac) => mac,
        // HMAC takes keys of any length; this arm cannot be reached.
        Err(_) => return String::new(),
    };
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Checks a header holding one or more comma-separated signatures, each
/// `prefix<hex>` (PagerDuty's `X-PagerDuty-Signature: v1=<hex>,v1=<hex>`,
/// several while a secret is being rotated): the request is authentic when
/// any one is HMAC-SHA256(`secret`, `body`). Each is compared in constant
/// time; entries of another scheme version are skipped.
pub fn verify_hmac_sha256_any(
    header_name: &str,
    header_value: Option<&str>,
    prefix: &str,
    body: &[u8],
    secret: &[u8],
) -> Result<(), IntegrationError> {
    let Some(value) = header_value else {
        return Err(IntegrationError::invalid_signature(format!(
            "the webhook has a signing secret and the request has no {header_name} header"
        )));
    };
    let candidates: Vec<&str> = value
        .split(',')
        .map(str::trim)
        .filter(|s| s.starts_with(prefix))
        .collect();
    if candidates.is_empty() {
        return Err(IntegrationError::invalid_signature(format!(
            "header {header_name} holds no signature of the form {prefix}<hex digest>"
        )));
    }
    let matches = candidates
        .iter()
        .any(|c| verify_hmac_sha256(header_name, Some(c), prefix, body, secret).is_ok());
    if matches {
        Ok(())
    } else {
        Err(IntegrationError::invalid_signature(format!(
            "header {header_name} does not match the body signed with the webhook's secret"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::integrations::error::IntegrationCode;

    #[test]
    fn matches_githubs_documented_example() {
        // docs.github.com "Validating webhook deliveries" test values.
        let sig = sign_hmac_sha256(b"It's a Secret to Everybody", b"Hello, World!");
        assert_eq!(
            sig,
            "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
        );
        let ok = verify_hmac_sha256(
            "X-Hub-Signature-256",
            Some(&sig),
            "sha256=",
            b"Hello, World!",
            b"It's a Secret to Everybody",
        );
        assert_eq!(ok, Ok(()));
    }

    #[test]
    fn tokens_match_only_the_secret() {
        let h = "X-Gitlab-Token";
        assert_eq!(verify_token(h, Some("s3cret"), b"s3cret"), Ok(()));
        for value in [None, Some("s3cre"), Some("s3cret!"), Some("")] {
            let e = verify_token(h, value, b"s3cret").unwrap_err();
            assert_eq!(e.code, IntegrationCode::InvalidSignature);
        }
    }

    #[test]
    fn missing_malformed_and_wrong_are_refused() {
        let h = "X-Hub-Signature-256";
        for value in [
            None,
            Some("sha1=00"),
            Some("sha256=zz"),
            Some("sha256=00ff"),
        ] {
            let e = verify_hmac_sha256(h, value, "sha256=", b"x", b"k").unwrap_err();
            assert_eq!(e.code, IntegrationCode::InvalidSignature);
            assert_eq!(e.status, 401);
        }
    }

    #[test]
    fn any_of_several_signatures_may_match() {
        let h = "X-PagerDuty-Signature";
        let good = sign_hmac_sha256(b"k", b"x").replace("sha256=", "v1=");
        let other = sign_hmac_sha256(b"old", b"x").replace("sha256=", "v1=");
        let both = format!("{other}, {good}");
        for value in [good.as_str(), both.as_str()] {
            assert_eq!(
                verify_hmac_sha256_any(h, Some(value), "v1=", b"x", b"k"),
                Ok(())
            );
        }
        for value in [
            None,
            Some(""),
            Some("v2=00"),
            Some(other.as_str()),
            Some("v1=zz"),
        ] {
            let e = verify_hmac_sha256_any(h, value, "v1=", b"x", b"k").unwrap_err();
            assert_eq!(e.code, IntegrationCode::InvalidSignature);
        }
    }
}
