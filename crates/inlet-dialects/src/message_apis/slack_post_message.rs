//! Slack's `chat.postMessage`, called with a webhook's token: its
//! arguments (JSON, or a form whose `attachments`, `blocks`, `props` and
//! `priority` are JSON text and whose flags are `true`/`false`/`1`/`0`)
//! are the Slack payload the dialect reads on `/hooks/{token}`, so the
//! post is the one the same payload would make there, read as Slack's
//! mrkdwn (`*bold*`, whatever the webhook's `markup`): `channel` picks the
//! channel under the webhook's rules, `thread_ts` replies to the post it
//! names (the `ts` this API answered), `username` and the icons follow the
//! webhook's overrides. Arguments of the API that do not shape the post
//! (`as_user`, `link_names`, `unfurl_*`, `parse`, `reply_broadcast`,
//! `metadata`) are ignored.

use super::arguments;
use crate::draft::{Markup, Translation, TranslationRequest, WebhookView};
use crate::error::Rejection;
use serde_json::{Map, Value};

/// Arguments whose form value is JSON text.
const JSON_ARGUMENTS: [&str; 4] = ["attachments", "blocks", "props", "priority"];
/// Arguments whose form value is a flag.
const FLAG_ARGUMENTS: [&str; 1] = ["mrkdwn"];

/// The post of one `chat.postMessage` request.
pub(crate) fn translate(req: &TranslationRequest<'_>) -> Result<Translation, Rejection> {
    let payload = payload(req)?;
    let body = serde_json::to_vec(&Value::Object(payload))
        .map_err(|e| Rejection::invalid(format!("arguments cannot be read: {e}")))?;
    // Slack's API is written in Slack's mrkdwn, whatever the webhook's
    // `markup` says for its incoming-webhook URL.
    let webhook = WebhookView {
        markup: Markup::Slack,
        ..req.webhook.clone()
    };
    crate::slack::translate(&TranslationRequest {
        content_type: Some("application/json"),
        body: &body,
        webhook: &webhook,
        ..*req
    })
}

/// The request's arguments as a Slack payload.
fn payload(req: &TranslationRequest<'_>) -> Result<Map<String, Value>, Rejection> {
    let mut arguments = arguments(req.content_type, req.body, &[], req.limits.max_json_depth)?;
    if arguments.contains_key("token") {
        // A token in the body would travel with it: it is read from the
        // `Authorization` header only.
        return Err(Rejection::invalid(
            "argument `token`: send the token as `Authorization: Bearer <token>`, not in the body",
        ));
    }
    for name in JSON_ARGUMENTS {
        if let Some(Value::String(text)) = arguments.get(name) {
            let value = if text.trim().is_empty() {
                Value::Null
            } else {
                parse_json(name, text)?
            };
            arguments.insert(name.to_string(), value);
        }
    }
    for name in FLAG_ARGUMENTS {
        if let Some(Value::String(text)) = arguments.get(name) {
            let flag = match text.trim() {
                "true" | "1" => true,
                "false" | "0" => false,
                other => {
                    return Err(Rejection::invalid(format!(
                        "argument `{name}` must be true or false, not {other:?}"
                    )));
                }
            };
            arguments.insert(name.to_string(), Value::Bool(flag));
        }
    }
    Ok(arguments)
}

/// A form argument's JSON text. Its nesting is checked with the whole
/// payload's, when the dialect reads it.
fn parse_json(name: &str, text: &str) -> Result<Value, Rejection> {
    serde_json::from_str(text)
        .map_err(|e| Rejection::invalid(format!("argument `{name}` is not valid JSON: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::draft::{Target, ThreadRef};

    fn post(content_type: &str, body: &str) -> Result<Translation, Rejection> {
        translate(&TranslationRequest {
            content_type: Some(content_type),
            body: body.as_bytes(),
            ..Default::default()
        })
    }

    #[test]
    fn json_and_form_arguments_make_the_same_post() {
        let json = post(
            "application/json; charset=utf-8",
            r##"{"channel":"#ops","text":"deploy *done*","thread_ts":"p1",
               "attachments":[{"text":"details","color":"good"}],"unfurl_links":false}"##,
        )
        .unwrap();
        let form = post(
            "application/x-www-form-urlencoded",
            "channel=%23ops&text=deploy+*done*&thread_ts=p1&unfurl_links=false\
             &attachments=%5B%7B%22text%22%3A%22details%22%2C%22color%22%3A%22good%22%7D%5D",
        )
        .unwrap();
        assert_eq!(json, form);
        assert_eq!(json.target, Target::ChannelName("ops".into()));
        assert_eq!(json.thread, Some(ThreadRef::Root("p1".into())));
        assert!(json.drafts[0].props["attachments"].is_array());
    }

    #[test]
    fn it_posts_what_the_same_payload_posts_on_a_slack_markup_webhook_url() {
        let body =
            r#"{"channel":"general","text":"*hello* <https://a.example|there>","username":"ci"}"#;
        let api = post("application/json", body).unwrap();
        let slack_markup = WebhookView {
            markup: Markup::Slack,
            ..WebhookView::default()
        };
        let hook = crate::slack::translate(&TranslationRequest {
            content_type: Some("application/json"),
            body: body.as_bytes(),
            webhook: &slack_markup,
            ..Default::default()
        })
        .unwrap();
        assert_eq!(api, hook);
        assert!(
            api.drafts[0].message.starts_with("**hello**"),
            "{}",
            api.drafts[0].message
        );
    }

    #[test]
    fn form_flags_and_json_text_are_checked() {
        let flag = post("application/x-www-form-urlencoded", "text=x&mrkdwn=false").unwrap();
        assert_eq!(flag.drafts[0].message, "x");
        let refusals = [
            ("text=x&mrkdwn=maybe", "`mrkdwn` must be true or false"),
            ("text=x&blocks=%5Bnope", "`blocks` is not valid JSON"),
            ("text=x&token=abc", "Authorization: Bearer"),
            ("channel=general", "nothing to post"),
        ];
        for (body, expected) in refusals {
            let refused = post("application/x-www-form-urlencoded", body).unwrap_err();
            assert!(
                refused.detail.contains(expected),
                "{body}: {}",
                refused.detail
            );
        }
    }

    #[test]
    fn blocks_given_as_form_json_are_shown() {
        let blocks = r#"[{"type":"section","text":{"type":"mrkdwn","text":"from *blocks*"}}]"#;
        let body = serde_urlencoded::to_string([("text", "fallback"), ("blocks", blocks)]).unwrap();
        let t = post("application/x-www-form-urlencoded", &body).unwrap();
        let shown = format!("{:?}", t.drafts);
        assert!(shown.contains("from"), "{shown}");
    }
}
