//! The five examples of docs/templates.md compile and post what the page
//! says, over payloads shaped like their vendors' (trimmed).

mod common;

use inlet_templates::{Limits, Rendering, TemplateSource, compile};
use serde_json::json;

/// The templates of the page, in order: its JSON blocks that have a
/// `message` (the others are samples).
fn documented() -> Vec<TemplateSource> {
    let page = include_str!("../../../docs/templates.md");
    page.split("```json\n")
        .skip(1)
        .filter_map(|block| block.split("```").next())
        .filter_map(|block| serde_json::from_str::<TemplateSource>(block).ok())
        .collect()
}

fn render(template: &TemplateSource, body: serde_json::Value) -> Rendering {
    let limits = Limits::default();
    let ctx = common::body_context(&body);
    compile(template, &limits)
        .unwrap()
        .render(&ctx, &limits)
        .unwrap()
}

fn message(rendering: Rendering) -> String {
    match rendering {
        Rendering::Post(rendered) => rendered.message,
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_page_has_five_examples() {
    assert_eq!(documented().len(), 5);
}

#[test]
fn uptime_kuma_posts_what_the_page_shows() {
    let body = json!({
        "heartbeat": {"status": 0, "msg": "timeout of 48000ms exceeded", "time": "2024-05-02 09:14:03", "ping": null},
        "monitor": {"name": "api", "url": "https://api.example.com/health"},
        "msg": "[api] [DOWN] timeout"
    });
    assert_eq!(
        message(render(&documented()[0], body)),
        ":red_circle: **[api](https://api.example.com/health)** is DOWN\n\
         timeout of 48000ms exceeded\n_since 09:14:03 UTC, – ms_"
    );
}

#[test]
fn healthchecks_docker_hub_and_netlify_post() {
    let examples = documented();
    let health = json!({"name": "backup", "status": "down", "last_ping": "2024-05-02T09:00:00+00:00", "tags": "prod db"});
    assert_eq!(
        message(render(&examples[1], health)),
        ":red_circle: Check **backup** is down (prod db)\nLast ping: 2024-05-02 09:00 UTC"
    );
    let docker = json!({
        "callback_url": "https://registry.hub.docker.com/u/svendowideit/testhook/hook/2141b5bi5i5b02bec211i4eeih0242eg11000a/",
        "push_data": {"pushed_at": 1_714_641_243, "pusher": "trustedbuilder", "tag": "latest"},
        "repository": {"repo_name": "svendowideit/testhook", "repo_url": "https://registry.hub.docker.com/u/svendowideit/testhook/"}
    });
    assert_eq!(
        message(render(&examples[2], docker)),
        ":whale: trustedbuilder pushed **svendowideit/testhook:latest**\n\
         [Open on Docker Hub](https://registry.hub.docker.com/u/svendowideit/testhook/) · pushed 2024-05-02 09:14 UTC"
    );
    let building = json!({"state": "building", "name": "site", "branch": "main"});
    assert_eq!(
        render(&examples[3], building),
        Rendering::Ignored {
            reason: "deploy building".into()
        }
    );
    let failed = json!({
        "state": "error", "name": "site", "branch": "main", "commit_ref": "4f2a9c1e0d",
        "deploy_ssl_url": "https://main--site.netlify.app", "error_message": "Build script returned non-zero exit code: 2"
    });
    assert_eq!(
        message(render(&examples[3], failed)),
        ":x: **site** failed to deploy main @ `4f2a9c1`\n[Open the deploy](https://main--site.netlify.app)\n\
         > Build script returned non-zero exit code: 2"
    );
}

#[test]
fn stripe_posts_payments_and_failed_invoices_and_ignores_the_rest() {
    let stripe = &documented()[4];
    let paid = json!({"type": "payment_intent.succeeded", "data": {"object": {"amount": 2599, "currency": "eur", "receipt_email": "a@example.com"}}});
    assert_eq!(
        message(render(stripe, paid)),
        ":moneybag: Payment of **25.99 EUR** from a@example.com"
    );
    let failed = json!({"type": "invoice.payment_failed", "data": {"object": {
        "id": "in_1", "number": "F-0042", "hosted_invoice_url": "https://invoice.stripe.com/i/1",
        "lines": {"data": [{"description": "Pro plan", "quantity": 3}]}
    }}});
    let Rendering::Post(rendered) = render(stripe, failed) else {
        panic!("not posted");
    };
    assert_eq!(
        rendered.message,
        ":warning: Invoice [F-0042](https://invoice.stripe.com/i/1) failed: no reason given\n\
         | Line | Qty |\n| --- | --- |\n| Pro plan | 3 |"
    );
    assert_eq!(rendered.case_id.as_deref(), Some("in_1"));
    assert_eq!(
        render(
            stripe,
            json!({"type": "customer.created", "data": {"object": {}}})
        ),
        Rendering::Ignored {
            reason: "customer.created is not posted".into()
        }
    );
}
