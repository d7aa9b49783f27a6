//! What a vendor integration declares, once, as data: its URL and display
//! names, its events, the headers naming the event and the delivery, its
//! signature scheme and the headers carried past ingress. The
//! [`Integration`](super::Integration) methods these answer are written
//! here too (`vendor_methods!`), so a vendor's module keeps only what
//! differs: how its event is named and how it is formatted.

use super::error::IntegrationError;
use super::params::Headers;
use super::signature::{
    HexSignature, HmacSha1, HmacSha256, verify_hmac, verify_hmac_sha256_any, verify_netlify_jws,
    verify_token,
};
use super::signature::{
    STRIPE_TOLERANCE_SECS, verify_hmac_sha256_with_body_timestamp_ms, verify_stripe_signature,
};

/// One vendor's fixed facts, declared with the builder below:
/// `Vendor::new("github", "GitHub", EVENTS).headers(…).hmac(…)`.
pub struct Vendor {
    /// The URL name (`github`).
    pub name: &'static str,
    /// The vendor's name in messages (`GitHub`).
    pub display: &'static str,
    /// Every event name its formatter can emit.
    pub events: &'static [&'static str],
    /// The header naming the event and the one holding the delivery id,
    /// when the vendor sends them: the headers the translation reads, and
    /// so the only ones carried past ingress (never the signature).
    headers: Option<[&'static str; 2]>,
    signature: Signature,
    /// Whether a JSON object sent with a form content type is read as JSON
    /// (see [`Integration::json_in_form_body`](super::Integration::json_in_form_body)).
    pub json_in_form_body: bool,
    /// Other URL names it answers at (its current name where Zulip's is an
    /// older one: `shortcut` for `clubhouse`).
    pub aliases: &'static [&'static str],
    /// Whether a form body's `payload` field holds the JSON payload (see
    /// [`Integration::json_in_form_payload`](super::Integration::json_in_form_payload)).
    pub json_in_form_payload: bool,
    /// Whether its body may be a JSON array
    /// (see [`Integration::json_array_body`](super::Integration::json_array_body)).
    pub json_array_body: bool,
    /// Whether a `null` body is answered with success and posts nothing
    /// (see [`Integration::null_body_ignored`](super::Integration::null_body_ignored)).
    pub null_body_ignored: bool,
}

/// How a vendor signs its requests, checked when the webhook has a secret.
enum Signature {
    /// It does not: nothing to check.
    Unsigned,
    /// HMAC-SHA256 of the body, in hex after `prefix` (`sha256=`, or none).
    Hmac {
        header: &'static str,
        prefix: &'static str,
    },
    /// The header carries the secret itself (GitLab's `X-Gitlab-Token`).
    Token { header: &'static str },
    /// Stripe's `t=<unix seconds>,v1=<hex>`: HMAC-SHA256 of `<t>.<body>`,
    /// `t` within Stripe's tolerance of the arrival time.
    Stripe { header: &'static str },
    /// HMAC-SHA1 of the body, in hex after `prefix` (Intercom's `sha1=`).
    HmacSha1 {
        header: &'static str,
        prefix: &'static str,
    },
    /// HMAC-SHA256 of the body in bare hex, and the body's `field`
    /// (milliseconds since the epoch) within `tolerance` seconds of the
    /// arrival time (Linear's `webhookTimestamp`).
    HmacWithBodyTimestampMs {
        header: &'static str,
        field: &'static str,
        tolerance: u64,
    },
    /// HMAC-SHA256 of the body in hex, with or without `prefix`
    /// (Semaphore's `X-Semaphore-Signature-256`).
    HmacOptionalPrefix {
        header: &'static str,
        prefix: &'static str,
    },
    /// A JWS over the body's SHA-256 (Netlify's `X-Webhook-Signature`).
    NetlifyJws { header: &'static str },
    /// One or more comma-separated HMAC-SHA256 hex signatures after
    /// `prefix`, any of which may match (PagerDuty's `v1=…,v1=…`).
    HmacAny {
        header: &'static str,
        prefix: &'static str,
    },
}

impl Vendor {
    /// A vendor that sends no event or delivery header and does not sign.
    pub const fn new(
        name: &'static str,
        display: &'static str,
        events: &'static [&'static str],
    ) -> Self {
        Self {
            name,
            display,
            events,
            headers: None,
            signature: Signature::Unsigned,
            json_in_form_body: false,
            aliases: &[],
            json_in_form_payload: false,
            json_array_body: false,
            null_body_ignored: false,
        }
    }

    /// It names the event in `event` and its delivery id in `delivery`.
    pub const fn headers(self, event: &'static str, delivery: &'static str) -> Self {
        Self {
            headers: Some([event, delivery]),
            ..self
        }
    }

    /// It signs the body with HMAC-SHA256, hex after `prefix`, in `header`.
    pub const fn hmac(self, header: &'static str, prefix: &'static str) -> Self {
        Self {
            signature: Signature::Hmac { header, prefix },
            ..self
        }
    }

    /// It sends the secret itself in `header`.
    pub const fn token(self, header: &'static str) -> Self {
        Self {
            signature: Signature::Token { header },
            ..self
        }
    }

    /// It signs the body with HMAC-SHA256, hex, in `header`, which may or
    /// may not start with `prefix`.
    pub const fn hmac_optional_prefix(self, header: &'static str, prefix: &'static str) -> Self {
        Self {
            signature: Signature::HmacOptionalPrefix { header, prefix },
            ..self
        }
    }

    /// It signs with a JWS carrying the body's SHA-256 in `header`.
    pub const fn netlify_jws(self, header: &'static str) -> Self {
        Self {
            signature: Signature::NetlifyJws { header },
            ..self
        }
    }

    /// Its JSON bodies may come with a form content type.
    pub const fn form_bodies_as_json(self) -> Self {
        Self {
            json_in_form_body: true,
            ..self
        }
    }

    /// It signs as Stripe does (`t=…,v1=…` in `header`).
    pub const fn stripe_signature(self, header: &'static str) -> Self {
        Self {
            signature: Signature::Stripe { header },
            ..self
        }
    }

    /// It signs the body with HMAC-SHA256 and sends one or more
    /// comma-separated `prefix<hex>` signatures in `header`.
    pub const fn hmac_any(self, header: &'static str, prefix: &'static str) -> Self {
        Self {
            signature: Signature::HmacAny { header, prefix },
            ..self
        }
    }

    /// Its JSON payloads may come as a form's `payload` field.
    pub const fn form_payload_field(self) -> Self {
        Self {
            json_in_form_payload: true,
            ..self
        }
    }

    /// It signs the body with HMAC-SHA1, hex after `prefix`, in `header`.
    pub const fn hmac_sha1(self, header: &'static str, prefix: &'static str) -> Self {
        Self {
            signature: Signature::HmacSha1 { header, prefix },
            ..self
        }
    }

    /// It may post a bare `null`, which posts nothing.
    pub const fn null_bodies_ignored(self) -> Self {
        Self {
            null_body_ignored: true,
            ..self
        }
    }

    /// It may post a JSON array of events.
    pub const fn array_bodies(self) -> Self {
        Self {
            json_array_body: true,
            ..self
        }
    }

    /// It signs the body with HMAC-SHA256 (bare hex in `header`) and dates
    /// it in the body's `field`, in milliseconds; older than `tolerance`
    /// seconds is refused.
    pub const fn hmac_with_body_timestamp_ms(
        self,
        header: &'static str,
        field: &'static str,
        tolerance: u64,
    ) -> Self {
        Self {
            signature: Signature::HmacWithBodyTimestampMs {
                header,
                field,
                tolerance,
            },
            ..self
        }
    }

    /// It also answers at these URL names.
    pub const fn aliases(self, aliases: &'static [&'static str]) -> Self {
        Self { aliases, ..self }
    }

    /// The headers carried past ingress.
    pub fn carried(&'static self) -> &'static [&'static str] {
        match &self.headers {
            Some(headers) => headers,
            None => &[],
        }
    }

    /// The event header's value; a missing or empty one is refused.
    pub fn required_event<'h>(&self, headers: &Headers<'h>) -> Result<&'h str, IntegrationError> {
        let name = self.headers.map(|[event, _]| event).unwrap_or_default();
        self.event(headers)
            .ok_or_else(|| IntegrationError::missing_header(name))
    }

    /// The event header's value, when present and not empty.
    pub fn event<'h>(&self, headers: &Headers<'h>) -> Option<&'h str> {
        let [event, _] = self.headers?;
        headers.get(event).filter(|h| !h.is_empty())
    }

    /// The body read straight from its text into `T` when the event
    /// header is `event`: a text route's first step
    /// ([`super::Integration::format_text`]).
    pub fn typed_event<'r, T: serde::Deserialize<'r>>(
        &self,
        request: &super::TextRequest<'r>,
        event: &str,
    ) -> Option<T> {
        if self.event(request.headers)? != event {
            return None;
        }
        request.json.typed()
    }

    /// Zulip's "Did <Vendor> generate this event?" refusal.
    pub fn anomalous(&self) -> IntegrationError {
        IntegrationError::anomalous(self.display)
    }

    pub fn verify(
        &self,
        headers: &Headers<'_>,
        body: &[u8],
        secret: &[u8],
    ) -> Result<(), IntegrationError> {
        self.verify_at(headers, body, secret, None)
    }

    /// [`Self::verify`], with the arrival time (Unix seconds) for the
    /// schemes that sign a timestamp.
    pub fn verify_at(
        &self,
        headers: &Headers<'_>,
        body: &[u8],
        secret: &[u8],
        now: Option<u64>,
    ) -> Result<(), IntegrationError> {
        match self.signature {
            Signature::Unsigned => Ok(()),
            Signature::Hmac { header, prefix } => {
                let signature = HexSignature::new(header, headers.get(header), prefix);
                verify_hmac::<HmacSha256>(signature, body, secret)
            }
            Signature::Token { header } => verify_token(header, headers.get(header), secret),
            Signature::Stripe { header } => verify_stripe_signature(
                header,
                headers.get(header),
                body,
                secret,
                now,
                STRIPE_TOLERANCE_SECS,
            ),
            Signature::HmacSha1 { header, prefix } => {
                let signature = HexSignature::new(header, headers.get(header), prefix);
                verify_hmac::<HmacSha1>(signature, body, secret)
            }
            Signature::HmacWithBodyTimestampMs {
                header,
                field,
                tolerance,
            } => verify_hmac_sha256_with_body_timestamp_ms(
                header,
                headers.get(header),
                body,
                secret,
                field,
                now,
                tolerance,
            ),
            Signature::HmacOptionalPrefix { header, prefix } => {
                let value = headers.get(header);
                let bare = value.map(|v| v.strip_prefix(prefix).unwrap_or(v));
                verify_hmac::<HmacSha256>(HexSignature::new(header, bare, ""), body, secret)
            }
            Signature::NetlifyJws { header } => {
                verify_netlify_jws(header, headers.get(header), body, secret)
            }
            Signature::HmacAny { header, prefix } => {
                let signatures = HexSignature::new(header, headers.get(header), prefix);
                verify_hmac_sha256_any(signatures, body, secret)
            }
        }
    }

    pub fn delivery_id(&self, headers: &Headers<'_>) -> Option<String> {
        let [_, delivery] = self.headers?;
        headers.get(delivery).map(str::to_string)
    }
}

/// The [`Integration`](super::Integration) methods a [`Vendor`] answers,
/// inside a vendor's `impl Integration`: `vendor_methods!(VENDOR);`, or
/// `vendor_methods!(VENDOR, format: format::format);` for a vendor whose
/// `format` is its formatter module's function as it stands.
macro_rules! vendor_methods {
    ($vendor:ident, format: $format:path) => {
        vendor_methods!($vendor);

        fn format(
            &self,
            event: &str,
            payload: &::serde_json::Value,
            params: &$crate::integrations::Params<'_>,
        ) -> Result<$crate::integrations::Formatted, $crate::integrations::IntegrationError> {
            $format(event, payload, params)
        }
    };
    ($vendor:ident) => {
        fn name(&self) -> &'static str {
            $vendor.name
        }

        fn display_name(&self) -> &'static str {
            $vendor.display
        }

        fn events(&self) -> &'static [&'static str] {
            $vendor.events
        }

        fn verify(
            &self,
            headers: &$crate::integrations::Headers<'_>,
            body: &[u8],
            secret: &[u8],
        ) -> Result<(), $crate::integrations::IntegrationError> {
            $vendor.verify(headers, body, secret)
        }

        fn delivery_id(&self, headers: &$crate::integrations::Headers<'_>) -> Option<String> {
            $vendor.delivery_id(headers)
        }

        fn headers(&self) -> &'static [&'static str] {
            $vendor.carried()
        }

        fn json_in_form_body(&self) -> bool {
            $vendor.json_in_form_body
        }

        fn verify_at(
            &self,
            headers: &$crate::integrations::Headers<'_>,
            body: &[u8],
            secret: &[u8],
            now: Option<u64>,
        ) -> Result<(), $crate::integrations::IntegrationError> {
            $vendor.verify_at(headers, body, secret, now)
        }

        fn aliases(&self) -> &'static [&'static str] {
            $vendor.aliases
        }

        fn json_in_form_payload(&self) -> bool {
            $vendor.json_in_form_payload
        }

        fn json_array_body(&self) -> bool {
            $vendor.json_array_body
        }

        fn null_body_ignored(&self) -> bool {
            $vendor.null_body_ignored
        }
    };
}

pub(super) use vendor_methods;

/// How many names `parts` hold together.
pub(super) const fn names_len(parts: &[&[&'static str]]) -> usize {
    let (mut total, mut part) = (0, 0);
    while part < parts.len() {
        total += parts[part].len();
        part += 1;
    }
    total
}

/// The names of `parts`, in order, as one list: a vendor's events where
/// some of them form a list of their own that its formatter reads (so the
/// names are written once). `N` is [`names_len`] of `parts`; evaluated in a
/// constant, a wrong `N` fails the build.
pub(super) const fn concat_names<const N: usize>(parts: &[&[&'static str]]) -> [&'static str; N] {
    let mut names = [""; N];
    let (mut at, mut part) = (0, 0);
    while part < parts.len() {
        let mut i = 0;
        while i < parts[part].len() {
            names[at] = parts[part][i];
            at += 1;
            i += 1;
        }
        part += 1;
    }
    assert!(at == N, "N is not the parts' length");
    names
}

/// A `&'static [&str]` of the names of each list given, in order (see
/// [`concat_names`]): `event_names!(OWN, sponsors::ACTIONS)`.
macro_rules! event_names {
    ($($part:expr),+ $(,)?) => {{
        const PARTS: &[&[&str]] = &[$($part),+];
        const NAMES: [&str; $crate::integrations::vendor::names_len(PARTS)] =
            $crate::integrations::vendor::concat_names(PARTS);
        &NAMES
    }};
}
pub(super) use event_names;

#[cfg(test)]
mod tests {
    use super::*;

    static SIGNED: Vendor = Vendor::new("signed", "Signed", &["one"])
        .headers("X-Event", "X-Delivery")
        .hmac("X-Signature", "sha256=");
    static UNSIGNED: Vendor = Vendor::new("unsigned", "Unsigned", &["one"]);

    fn headers(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn the_event_header_is_required_and_not_empty() {
        let sent = headers(&[("x-event", " one ")]);
        assert_eq!(SIGNED.required_event(&Headers::new(&sent)), Ok("one"));
        let empty = headers(&[("X-Event", "")]);
        let refused = SIGNED.required_event(&Headers::new(&empty)).unwrap_err();
        assert_eq!(refused, IntegrationError::missing_header("X-Event"));
        assert_eq!(UNSIGNED.event(&Headers::new(&sent)), None);
    }

    #[test]
    fn the_signature_is_checked_with_the_declared_header_and_prefix() {
        let body = b"{}";
        let signature = super::super::sign_hmac_sha256(b"secret", body);
        let sent = headers(&[("X-Signature", &signature)]);
        assert!(SIGNED.verify(&Headers::new(&sent), body, b"secret").is_ok());
        assert!(SIGNED.verify(&Headers::new(&sent), body, b"other").is_err());
        assert!(SIGNED.verify(&Headers::new(&[]), body, b"secret").is_err());
        assert!(UNSIGNED.verify(&Headers::new(&[]), body, b"secret").is_ok());
    }

    static STRIPE_LIKE: Vendor = Vendor::new("stripe_like", "Stripe-like", &["one"])
        .stripe_signature("Stripe-Signature")
        .aliases(&["stripe_alias"]);

    #[test]
    fn a_signed_timestamp_is_checked_against_the_arrival_time() {
        let body = b"{}";
        let signed = super::super::sign_stripe(b"whsec", 1_700_000_000, body);
        let sent = headers(&[("Stripe-Signature", &signed)]);
        let at = |now| STRIPE_LIKE.verify_at(&Headers::new(&sent), body, b"whsec", now);
        assert!(at(Some(1_700_000_100)).is_ok());
        assert!(at(Some(1_700_000_301)).is_err());
        // `verify` has no arrival time: the signature alone is checked.
        assert!(
            STRIPE_LIKE
                .verify(&Headers::new(&sent), body, b"whsec")
                .is_ok()
        );
        assert_eq!(STRIPE_LIKE.aliases, ["stripe_alias"]);
        assert!(SIGNED.aliases.is_empty());
    }

    #[test]
    fn the_event_and_delivery_headers_alone_are_carried() {
        assert_eq!(SIGNED.carried(), ["X-Event", "X-Delivery"]);
        assert!(UNSIGNED.carried().is_empty());
        let sent = headers(&[("X-Delivery", "d-1")]);
        let id = SIGNED.delivery_id(&Headers::new(&sent));
        assert_eq!(id.as_deref(), Some("d-1"));
        assert_eq!(UNSIGNED.delivery_id(&Headers::new(&sent)), None);
    }
}
