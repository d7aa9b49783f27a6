//! Webhooks with a template (docs/templates.md): ingress renders the
//! request here, before it answers, so a template error is the sender's
//! 422 and never a dead letter; the raw webhook then carries the rendered
//! document (dialect `template`), which the formatter only reads.
//!
//! Compiled templates are kept per (webhook, version): a version never
//! changes, so an entry is never stale, only unused; the cache is emptied
//! when it holds more than `MAX_CACHED` of them.

use crate::State;
use inlet_dialects::{ErrorCode, Outcome, Rejection, TranslationRequest};
use inlet_store::Webhook;
use inlet_templates::{Compiled, Limits, TemplateSource, Translated};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use uuid::Uuid;

/// Most compiled templates kept at once (a few KiB each).
const MAX_CACHED: usize = 4096;

/// Compiled templates by (webhook, version).
#[derive(Default)]
pub(crate) struct TemplateCache {
    compiled: Mutex<HashMap<(Uuid, i32), Arc<Compiled>>>,
}

impl TemplateCache {
    /// The webhook's active template, compiled once per version. A stored
    /// template that no longer compiles (a newer limit) is the sender's
    /// `template_error`, as any other template failure.
    fn get(&self, webhook: &Webhook, limits: &Limits) -> Result<Arc<Compiled>, Rejection> {
        let version = webhook.template_version.unwrap_or(0);
        let key = (webhook.id, version);
        if let Some(compiled) = self.lock().get(&key) {
            return Ok(compiled.clone());
        }
        let source: TemplateSource = webhook
            .template
            .clone()
            .and_then(|stored| serde_json::from_value(stored).ok())
            .ok_or_else(|| failed("the webhook's stored template cannot be read"))?;
        let compiled = Arc::new(
            inlet_templates::compile(&source, limits).map_err(|e| failed(&e.to_string()))?,
        );
        let mut cache = self.lock();
        if cache.len() >= MAX_CACHED {
            cache.clear();
        }
        cache.insert(key, compiled.clone());
        Ok(compiled)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(Uuid, i32), Arc<Compiled>>> {
        // A panic while holding the lock cannot leave the map half-written
        // (inserts and clears are single calls): keep using it.
        self.compiled
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn failed(detail: &str) -> Rejection {
    Rejection::new(ErrorCode::TemplateFailed, detail)
}

/// The server's template limits (config `[limits]`).
pub(crate) fn limits(state: &State) -> Limits {
    let limits = &state.settings.limits;
    Limits {
        fuel: limits.template_fuel,
        time: Duration::from_millis(limits.template_time_ms),
        max_output_bytes: limits.template_max_output_bytes,
    }
}

/// Renders `request` through the webhook's template.
pub(crate) fn translate(
    state: &State,
    webhook: &Webhook,
    request: &TranslationRequest<'_>,
) -> Translated {
    let limits = limits(state);
    match state.templates.get(webhook, &limits) {
        Ok(compiled) => inlet_templates::translate(&compiled, &limits, request),
        Err(rejection) => Translated {
            outcome: Outcome::Refused(rejection.into()),
            document: None,
            error: None,
        },
    }
}
