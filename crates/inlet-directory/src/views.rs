//! What the pure translators are given of a stored webhook and of the
//! configured limits: the dialect crate knows neither the database rows nor
//! the configuration, so the conversions live here.

use inlet_core::settings::LimitsSettings;
use inlet_dialects::{Limits, Markup, WebhookView};
use inlet_store::Webhook;

/// The settings of a webhook a translation reads.
pub trait DialectView {
    fn dialect_view(&self) -> WebhookView;
}

impl DialectView for Webhook {
    fn dialect_view(&self) -> WebhookView {
        WebhookView {
            display_name: self.display_name.clone(),
            username: self.username.clone(),
            icon_url: self.icon_url.clone(),
            allow_username_override: self.allow_username_override,
            allow_icon_override: self.allow_icon_override,
            allow_channel_mentions: self.allow_channel_mentions,
            markup: Markup::parse(&self.markup).unwrap_or_default(),
        }
    }
}

/// The configured limits as the translations take them.
pub trait DialectLimits {
    fn dialect_limits(&self) -> Limits;
}

impl DialectLimits for LimitsSettings {
    fn dialect_limits(&self) -> Limits {
        Limits {
            max_post_runes: self.max_post_runes,
            max_attachments: self.max_attachments,
            max_json_depth: self.max_json_depth,
            max_posts_per_request: self.max_posts_per_request,
        }
    }
}
