//! A request through a webhook's template, start to end: what the sender's
//! request becomes ([`translate`]) in the registry's own terms (an
//! [`Outcome`] of the `template` translator), with the document that the
//! raw webhook carries in place of the payload. Ingress and the preview
//! both go through here, so a preview shows exactly what a request gets.

use crate::{Compiled, Limits, Rendering, RequestView, TemplateError, context};
use inlet_dialects::template::Rendered;
use inlet_dialects::{
    DialectName, ErrorCode, IgnoreReason, Outcome, Rejection, TranslationRequest,
};

/// What a template made of one request.
#[derive(Debug)]
pub struct Translated {
    /// Posts, ignored, or refused (the body is not JSON or a form:
    /// `invalid_payload`; the template failed: `template_error`).
    pub outcome: Outcome,
    /// When it rendered: the document the raw webhook carries.
    pub document: Option<Rendered>,
    /// When the template failed: where and why.
    pub error: Option<TemplateError>,
}

/// Renders `request` through `compiled`, then translates the document with
/// the `template` translator (the webhook's settings and limits in
/// `request` apply as to any translation).
pub fn translate(
    compiled: &Compiled,
    limits: &Limits,
    request: &TranslationRequest<'_>,
) -> Translated {
    let view = RequestView {
        content_type: request.content_type,
        body: request.body,
        headers: request.headers,
        query: request.query,
    };
    let refused = |rejection: Rejection, error| Translated {
        outcome: Outcome::Refused(rejection.into()),
        document: None,
        error,
    };
    let context = match context(&view) {
        Ok(context) => context,
        Err(detail) => return refused(Rejection::invalid(detail), None),
    };
    match compiled.render(&context, limits) {
        Ok(Rendering::Post(document)) => {
            let body = document.to_body();
            let rendered = TranslationRequest {
                content_type: Some("application/json"),
                body: &body,
                headers: &[],
                query: &[],
                ..*request
            };
            Translated {
                outcome: inlet_dialects::translate(&DialectName::Template, &rendered),
                document: Some(document),
                error: None,
            }
        }
        Ok(Rendering::Ignored { reason }) => Translated {
            outcome: Outcome::Ignored {
                event: "template".into(),
                reason: IgnoreReason::NotWanted,
                message: Some(reason),
            },
            document: None,
            error: None,
        },
        Err(error) => refused(
            Rejection::new(ErrorCode::TemplateFailed, error.to_string()),
            Some(error),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{TemplateSource, compile};

    fn run(message: &str, body: &[u8]) -> Translated {
        let limits = Limits::default();
        let source = TemplateSource {
            message: message.into(),
            topic: Some("{{ body.id }}".into()),
            ..Default::default()
        };
        let compiled = compile(&source, &limits).unwrap();
        let request = TranslationRequest {
            content_type: Some("application/json"),
            body,
            ..Default::default()
        };
        translate(&compiled, &limits, &request)
    }

    #[test]
    fn a_rendered_request_is_the_template_translators_posts() {
        let translated = run("**{{ body.title }}**", br#"{"title": "up", "id": 4}"#);
        let Outcome::Posts { posts, .. } = &translated.outcome else {
            panic!("{translated:?}");
        };
        assert_eq!(posts[0].drafts[0].message, "**up**");
        assert_eq!(translated.document.unwrap().topic.as_deref(), Some("4"));
    }

    #[test]
    fn a_template_error_is_the_senders_template_error_with_its_position() {
        let translated = run("line\n{{ body.n + 'x' }}", br#"{"n": 1}"#);
        let Outcome::Refused(refusal) = &translated.outcome else {
            panic!("{translated:?}");
        };
        assert_eq!(refusal.code(), "template_error");
        assert_eq!(refusal.http_status(), 422);
        assert!(refusal.detail().contains("line 2"), "{}", refusal.detail());
        assert_eq!(translated.error.unwrap().line, Some(2));
    }

    #[test]
    fn a_body_that_is_not_json_is_invalid_payload_and_ignore_is_not_wanted() {
        let refused = run("x", b"<xml/>");
        assert!(
            matches!(&refused.outcome, Outcome::Refused(r) if r.code() == "invalid_payload"),
            "{refused:?}"
        );
        let ignored = run("{{ ignore('drafts are not posted') }}", b"{}");
        assert!(
            matches!(&ignored.outcome, Outcome::Ignored { message: Some(m), .. } if m == "drafts are not posted"),
            "{ignored:?}"
        );
    }
}
