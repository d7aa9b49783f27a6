//! Sender signatures: an HMAC of the raw body (SHA-256, or SHA-1 where a
//! vendor still signs so), compared in constant time (`Mac::verify_slice`).
//! Zulip does not verify; we do whenever the webhook has a signing secret
//! (dialects.md).

use super::error::IntegrationError;
use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::Sha256;

/// HMAC-SHA256, which most vendors sign with.
pub type HmacSha256 = Hmac<Sha256>;

/// HMAC-SHA1 (Intercom's `X-Hub-Signature`).
pub type HmacSha1 = Hmac<Sha1>;

/// A signature header as received: `<prefix><hex digest>` (`sha256=<hex>`,
/// or bare hex when the prefix is empty).
#[derive(Clone, Copy, Debug)]
pub struct HexSignature<'a> {
    /// The header's name, for the refusals.
    pub header: &'a str,
    /// Its value; `None` when the request has no such header.
    pub value: Option<&'a str>,
    pub prefix: &'a str,
}

impl<'a> HexSignature<'a> {
    pub fn new(header: &'a str, value: Option<&'a str>, prefix: &'a str) -> Self {
        Self {
            header,
            value,
            prefix,
        }
    }

    /// The value, or the refusal of a request without the header.
    fn sent(&self) -> Result<&'a str, IntegrationError> {
        self.value.ok_or_else(|| missing_header(self.header))
    }

    /// The digest the value holds, or the refusal of a malformed one.
    fn digest(&self) -> Result<Vec<u8>, IntegrationError> {
        let malformed = || not_of_the_form(self.header, &format!("{}<hex digest>", self.prefix));
        let hex_digest = self.sent()?.trim().strip_prefix(self.prefix);
        hex::decode(hex_digest.ok_or_else(malformed)?).map_err(|_| malformed())
    }
}

/// Checks `signature` against the MAC `M` ([`HmacSha256`], [`HmacSha1`])
/// of `body` under `secret`, in constant time (`verify_slice`). A missing
/// header, a malformed value and a mismatch are all `invalid_signature`.
pub fn verify_hmac<M: Mac + KeyInit>(
    signature: HexSignature<'_>,
    body: &[u8],
    secret: &[u8],
) -> Result<(), IntegrationError> {
    let expected = signature.digest()?;
    let mut mac = keyed::<M>(secret)?;
    mac.update(body);
    mac.verify_slice(&expected)
        .map_err(|_| body_mismatch(signature.header))
}

/// The MAC `M` keyed with `secret`. HMAC takes keys of any length, so the
/// error is there only for the type's sake.
fn keyed<M: Mac + KeyInit>(secret: &[u8]) -> Result<M, IntegrationError> {
    <M as Mac>::new_from_slice(secret)
        .map_err(|_| IntegrationError::invalid_signature("unusable signing secret"))
}

/// The hex MAC `M` of `body` under `secret`, empty for an unusable key
/// (which HMAC never refuses).
fn sign_hex_mac<M: Mac + KeyInit>(secret: &[u8], body: &[u8]) -> String {
    let Ok(mut mac) = keyed::<M>(secret) else {
        return String::new();
    };
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
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
    let value = header_value.ok_or_else(|| missing_header(header_name))?;
    let digest = |bytes: &[u8]| {
        let mut mac = keyed::<HmacSha256>(b"inlet token comparison")?;
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
    format!("sha256={}", sign_hex_mac::<HmacSha256>(secret, body))
}

/// How far Stripe's signed timestamp may be from the arrival time, in
/// seconds: Stripe's libraries' default tolerance.
pub const STRIPE_TOLERANCE_SECS: u64 = 300;

/// Checks Stripe's `Stripe-Signature` (`t=<unix seconds>,v1=<hex>[,v1=…]`):
/// HMAC-SHA256(`secret`, `<t>.<body>`) must match one `v1` (several while
/// a secret is rolled), and `t` must be within `tolerance` seconds of
/// `now`, either way, so a captured request cannot be replayed later.
/// Without `now` the timestamp is not compared (the formatter's case).
pub fn verify_stripe_signature(
    header_name: &str,
    header_value: Option<&str>,
    body: &[u8],
    secret: &[u8],
    now: Option<u64>,
    tolerance: u64,
) -> Result<(), IntegrationError> {
    let value = header_value.ok_or_else(|| missing_header(header_name))?;
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for item in value.split(',') {
        match item.trim().split_once('=') {
            Some(("t", t)) => timestamp = Some(t),
            Some(("v1", v1)) => signatures.push(v1),
            _ => {}
        }
    }
    let malformed = || not_of_the_form(header_name, "t=<unix seconds>,v1=<hex digest>");
    let timestamp = timestamp.ok_or_else(malformed)?;
    let seconds: u64 = timestamp.parse().map_err(|_| malformed())?;
    if signatures.is_empty() {
        return Err(malformed());
    }
    let mut mac = keyed::<HmacSha256>(secret)?;
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    let matches = signatures.iter().any(|hex_digest| {
        hex::decode(hex_digest).is_ok_and(|expected| mac.clone().verify_slice(&expected).is_ok())
    });
    if !matches {
        return Err(body_mismatch(header_name));
    }
    check_age(header_name, seconds, now, tolerance)
}

/// Refuses a signed timestamp more than `tolerance` seconds from `now`.
fn check_age(
    header_name: &str,
    signed_at: u64,
    now: Option<u64>,
    tolerance: u64,
) -> Result<(), IntegrationError> {
    match now {
        Some(now) if now.abs_diff(signed_at) > tolerance => {
            Err(IntegrationError::invalid_signature(format!(
                "the timestamp signed in {header_name} is {} seconds from the time the request \
                 arrived; at most {tolerance} are accepted (a replayed or delayed request)",
                now.abs_diff(signed_at)
            )))
        }
        _ => Ok(()),
    }
}

fn missing_header(header_name: &str) -> IntegrationError {
    IntegrationError::invalid_signature(format!(
        "the webhook has a signing secret and the request has no {header_name} header"
    ))
}

fn not_of_the_form(header_name: &str, form: &str) -> IntegrationError {
    IntegrationError::invalid_signature(format!("header {header_name} is not of the form {form}"))
}

fn body_mismatch(header_name: &str) -> IntegrationError {
    IntegrationError::invalid_signature(format!(
        "header {header_name} does not match the body signed with the webhook's secret"
    ))
}

/// Stripe's `t=<timestamp>,v1=<hex>` for `body` under `secret` (tests
/// and benches sign with it).
pub fn sign_stripe(secret: &[u8], timestamp: u64, body: &[u8]) -> String {
    let mut signed = format!("{timestamp}.").into_bytes();
    signed.extend_from_slice(body);
    let digest = sign_hmac_sha256(secret, &signed);
    format!("t={timestamp},v1={}", digest.trim_start_matches("sha256="))
}

/// `sha1=<hex>` for `body` under `secret` (tests sign with it).
pub fn sign_hmac_sha1(secret: &[u8], body: &[u8]) -> String {
    format!("sha1={}", sign_hex_mac::<HmacSha1>(secret, body))
}

/// Checks an HMAC-SHA256 hex header (Linear's `Linear-Signature`) and then
/// the millisecond timestamp the vendor writes in the signed body's
/// `field` (Linear's `webhookTimestamp`): within `tolerance` seconds of
/// `now`, so a captured request cannot be replayed. A body without the
/// field, or not JSON, is refused when `now` is known.
pub fn verify_hmac_sha256_with_body_timestamp_ms(
    header_name: &str,
    header_value: Option<&str>,
    body: &[u8],
    secret: &[u8],
    timestamp_field: &str,
    now: Option<u64>,
    tolerance: u64,
) -> Result<(), IntegrationError> {
    verify_hmac::<HmacSha256>(
        HexSignature::new(header_name, header_value, ""),
        body,
        secret,
    )?;
    if now.is_none() {
        return Ok(());
    }
    let signed_ms = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get(timestamp_field).and_then(serde_json::Value::as_u64));
    let Some(signed_ms) = signed_ms else {
        return Err(IntegrationError::invalid_signature(format!(
            "the signed body has no `{timestamp_field}` (milliseconds since the epoch) to \
             check its age against"
        )));
    };
    check_age(header_name, signed_ms / 1000, now, tolerance)
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
    let value = header_value.ok_or_else(|| missing_header(header_name))?;
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
    let mut mac = keyed::<HmacSha256>(secret)?;
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
    let Ok(mut mac) = keyed::<HmacSha256>(secret) else {
        return String::new();
    };
    mac.update(format!("{head}.{claims}").as_bytes());
    let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
    format!("{head}.{claims}.{signature}")
}

/// Checks a header holding one or more comma-separated signatures, each
/// `prefix<hex>` (PagerDuty's `X-PagerDuty-Signature: v1=<hex>,v1=<hex>`,
/// several while a secret is being rotated): the request is authentic when
/// any one is HMAC-SHA256(`secret`, `body`). Each is compared in constant
/// time; entries of another scheme version are skipped.
pub fn verify_hmac_sha256_any(
    signatures: HexSignature<'_>,
    body: &[u8],
    secret: &[u8],
) -> Result<(), IntegrationError> {
    let HexSignature { header, prefix, .. } = signatures;
    let candidates: Vec<&str> = signatures
        .sent()?
        .split(',')
        .map(str::trim)
        .filter(|s| s.starts_with(prefix))
        .collect();
    if candidates.is_empty() {
        return Err(IntegrationError::invalid_signature(format!(
            "header {header} holds no signature of the form {prefix}<hex digest>"
        )));
    }
    let matches = candidates.iter().any(|c| {
        let one = HexSignature::new(header, Some(c), prefix);
        verify_hmac::<HmacSha256>(one, body, secret).is_ok()
    });
    if matches {
        Ok(())
    } else {
        Err(body_mismatch(header))
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
        let ok = verify_hmac::<HmacSha256>(
            HexSignature::new("X-Hub-Signature-256", Some(&sig), "sha256="),
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
            let e = verify_hmac::<HmacSha256>(HexSignature::new(h, value, "sha256="), b"x", b"k")
                .unwrap_err();
            assert_eq!(e.code, IntegrationCode::InvalidSignature);
            assert_eq!(e.status, 401);
        }
    }

    const BODY: &[u8] = br#"{"id":"evt_1","type":"charge.succeeded"}"#;

    #[test]
    fn stripe_signatures_match_within_the_tolerance() {
        let h = "Stripe-Signature";
        let signed = sign_stripe(b"whsec_k", 1_700_000_000, BODY);
        let check = |value: Option<&str>, secret: &[u8], now: u64| {
            verify_stripe_signature(h, value, BODY, secret, Some(now), STRIPE_TOLERANCE_SECS)
        };
        assert_eq!(check(Some(&signed), b"whsec_k", 1_700_000_000), Ok(()));
        assert_eq!(check(Some(&signed), b"whsec_k", 1_700_000_300), Ok(()));
        // A second `v1` (a secret being rolled) may be the matching one.
        let rolled = format!("t=1700000000,v1=00ff,{}", &signed[13..]);
        assert_eq!(check(Some(&rolled), b"whsec_k", 1_700_000_000), Ok(()));
        // Without the arrival time the age is not compared.
        let ageless = verify_stripe_signature(h, Some(&signed), BODY, b"whsec_k", None, 300);
        assert_eq!(ageless, Ok(()));
    }

    #[test]
    fn stripe_signatures_wrong_missing_malformed_or_stale_are_refused() {
        let h = "Stripe-Signature";
        let signed = sign_stripe(b"whsec_k", 1_700_000_000, BODY);
        let check = |value: Option<&str>, secret: &[u8], now: u64| {
            verify_stripe_signature(h, value, BODY, secret, Some(now), STRIPE_TOLERANCE_SECS)
                .unwrap_err()
        };
        let wrong = check(Some(&signed), b"whsec_other", 1_700_000_000);
        assert!(
            wrong.message.contains("does not match"),
            "{}",
            wrong.message
        );
        let missing = check(None, b"whsec_k", 1_700_000_000);
        assert!(
            missing.message.contains("no Stripe-Signature"),
            "{}",
            missing.message
        );
        let stale = check(Some(&signed), b"whsec_k", 1_700_000_301);
        assert!(stale.message.contains("301 seconds"), "{}", stale.message);
        let early = check(Some(&signed), b"whsec_k", 1_699_999_000);
        assert!(early.message.contains("1000 seconds"), "{}", early.message);
        // The timestamp is signed: moving it breaks the signature.
        let moved = signed.replace("t=1700000000", "t=1700000500");
        let e = check(Some(&moved), b"whsec_k", 1_700_000_500);
        assert!(e.message.contains("does not match"), "{}", e.message);
        for bad in ["v1=00", "t=abc,v1=00", "t=1700000000", "sha256=00"] {
            let e = check(Some(bad), b"whsec_k", 1_700_000_000);
            assert!(
                e.message.contains("is not of the form"),
                "{bad}: {}",
                e.message
            );
        }
        for e in [wrong, missing, stale] {
            assert_eq!((e.code, e.status), (IntegrationCode::InvalidSignature, 401));
        }
    }

    #[test]
    fn sha1_signatures_match_only_the_secret() {
        let h = "X-Hub-Signature";
        let signed = sign_hmac_sha1(b"intercom-secret", BODY);
        // HMAC-SHA1 of RFC 2202's test case 2.
        assert_eq!(
            sign_hmac_sha1(b"Jefe", b"what do ya want for nothing?"),
            "sha1=effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"
        );
        assert_eq!(
            verify_hmac::<HmacSha1>(
                HexSignature::new(h, Some(&signed), "sha1="),
                BODY,
                b"intercom-secret"
            ),
            Ok(())
        );
        for value in [None, Some(signed.as_str()), Some("sha1=zz"), Some("00")] {
            let secret: &[u8] = if value == Some(signed.as_str()) {
                b"other"
            } else {
                b"intercom-secret"
            };
            let e = verify_hmac::<HmacSha1>(HexSignature::new(h, value, "sha1="), BODY, secret)
                .unwrap_err();
            assert_eq!(e.code, IntegrationCode::InvalidSignature);
        }
    }

    #[test]
    fn body_timestamps_are_checked_after_the_signature() {
        let h = "Linear-Signature";
        let body = br#"{"action":"create","webhookTimestamp":1700000000123}"#;
        let signed = sign_hmac_sha256(b"lin_wh", body);
        let hex = signed.trim_start_matches("sha256=");
        let check = |value: Option<&str>, body: &[u8], now: Option<u64>| {
            verify_hmac_sha256_with_body_timestamp_ms(
                h,
                value,
                body,
                b"lin_wh",
                "webhookTimestamp",
                now,
                60,
            )
        };
        assert_eq!(check(Some(hex), body, Some(1_700_000_030)), Ok(()));
        assert_eq!(check(Some(hex), body, None), Ok(()));
        let stale = check(Some(hex), body, Some(1_700_000_061)).unwrap_err();
        assert!(stale.message.contains("61 seconds"), "{}", stale.message);
        assert!(check(None, body, Some(1_700_000_000)).is_err());
        assert!(check(Some("00ff"), body, Some(1_700_000_000)).is_err());
        let untimed = br#"{"action":"create"}"#;
        let untimed_hex = sign_hmac_sha256(b"lin_wh", untimed);
        let e = check(
            Some(untimed_hex.trim_start_matches("sha256=")),
            untimed,
            Some(1_700_000_000),
        )
        .unwrap_err();
        assert!(e.message.contains("webhookTimestamp"), "{}", e.message);
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

    #[test]
    fn any_of_several_signatures_may_match() {
        let h = "X-PagerDuty-Signature";
        let good = sign_hmac_sha256(b"k", b"x").replace("sha256=", "v1=");
        let other = sign_hmac_sha256(b"old", b"x").replace("sha256=", "v1=");
        let both = format!("{other}, {good}");
        for value in [good.as_str(), both.as_str()] {
            assert_eq!(
                verify_hmac_sha256_any(HexSignature::new(h, Some(value), "v1="), b"x", b"k"),
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
            let e =
                verify_hmac_sha256_any(HexSignature::new(h, value, "v1="), b"x", b"k").unwrap_err();
            assert_eq!(e.code, IntegrationCode::InvalidSignature);
        }
    }
}
