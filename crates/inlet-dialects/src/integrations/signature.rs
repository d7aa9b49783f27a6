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

/// Checks Netlify's `X-Webhook-Signature`: a JWS (HS256) signed with the
/// secret whose claims are `iss: "netlify"` and `sha256`, the hex SHA-256
/// of the body. The MAC is compared in constant time; the claims after it.
pub fn verify_netlify_jws(
    header_name: &str,
    header_value: Option<&str>,
    body: &[u8],
    secret: &[u8],
) -> Result<(), IntegrationError> {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use sha2::Digest;
    let Some(value) = header_value else {
        return Err(IntegrationError::invalid_signature(format!(
            "the webhook has a signing secret and the request has no {header_name} header"
        )));
    };
    let malformed = || {
        IntegrationError::invalid_signature(format!(
            "header {header_name} is not a JWS (<header>.<claims>.<signature>)"
        ))
    };
    let mut parts = value.trim().split('.');
    let (Some(head), Some(claims), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(malformed());
    };
    let decode = |part: &str| URL_SAFE_NO_PAD.decode(part.trim_end_matches('='));
    let signature = decode(signature).map_err(|_| malformed())?;
    let mut mac = Hmac::<Sha256>::new_from_slice(secret)
        .map_err(|_| IntegrationError::invalid_signature("unusable signing secret"))?;
    mac.update(head.as_bytes());
    mac.update(b".");
    mac.update(claims.as_bytes());
    mac.verify_slice(&signature).map_err(|_| {
        IntegrationError::invalid_signature(format!(
            "header {header_name} is not signed with the webhook's secret"
        ))
    })?;
    let claims: serde_json::Value = decode(claims)
        .ok()
        .and_then(|c| serde_json::from_slice(&c).ok())
        .ok_or_else(malformed)?;
    let digest = hex::encode(Sha256::digest(body));
    if claims.get("iss").and_then(serde_json::Value::as_str) != Some("netlify") {
        return Err(IntegrationError::invalid_signature(format!(
            "header {header_name} was not issued by Netlify"
        )));
    }
    if claims.get("sha256").and_then(serde_json::Value::as_str) != Some(digest.as_str()) {
        return Err(IntegrationError::invalid_signature(format!(
            "header {header_name} signs another body"
        )));
    }
    Ok(())
}

/// A Netlify `X-Webhook-Signature` for `body` under `secret` (tests).
pub fn sign_netlify_jws(secret: &[u8], body: &[u8]) -> String {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use sha2::Digest;
    let head = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let claims = serde_json::json!({"iss": "netlify", "sha256": hex::encode(Sha256::digest(body))});
    let claims = URL_SAFE_NO_PAD.encode(claims.to_string());
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret) else {
        return String::new();
    };
    mac.update(format!("{head}.{claims}").as_bytes());
    let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
    format!("{head}.{claims}.{signature}")
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
    fn netlify_signatures_sign_this_body_with_the_secret() {
        let h = "X-Webhook-Signature";
        let body = br#"{"id":"1"}"#;
        let good = sign_netlify_jws(b"k", body);
        assert_eq!(verify_netlify_jws(h, Some(&good), body, b"k"), Ok(()));
        let other_body = sign_netlify_jws(b"k", b"{}");
        for value in [None, Some("not-a-jws"), Some(other_body.as_str())] {
            let e = verify_netlify_jws(h, value, body, b"k").unwrap_err();
            assert_eq!(e.code, IntegrationCode::InvalidSignature);
        }
        let e = verify_netlify_jws(h, Some(&good), body, b"other").unwrap_err();
        assert!(e.message.contains("not signed"), "{}", e.message);
    }
}
