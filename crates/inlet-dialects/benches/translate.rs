//! How long the Slack translation takes per payload: a typical short
//! message (a link and a mention), and a richer one with attachments and
//! blocks. Target: at most 10 µs for the typical one (performance.md).

use criterion::{Criterion, criterion_group, criterion_main};
use inlet_dialects::{
    DialectName, DirectoryView, Markup, Outcome, TranslationRequest, Translator, WebhookView,
};
use std::hint::black_box;

struct Team;

impl DirectoryView for Team {
    fn user_exists(&self, username: &str) -> bool {
        username == "alice"
    }
    fn channel_name(&self, id: &str) -> Option<String> {
        (id == "C024BE7LR").then(|| "ops".to_string())
    }
    fn username_of(&self, _: &str) -> Option<String> {
        None
    }
}

const TYPICAL: &str = r#"{"text": "Deploy of api v2.3.1 finished: <https://ci.example.com/jobs/812|build 812> by <@alice>, see <#C024BE7LR>", "username": "deploy-bot", "icon_emoji": ":rocket:"}"#;

const RICH: &str = r##"{
  "channel": "#alerts",
  "username": "Grafana",
  "icon_url": "https://grafana.example.com/fav32.png",
  "text": "fallback",
  "blocks": [
    {"type": "header", "text": {"type": "plain_text", "text": "High CPU on web-1"}},
    {"type": "section", "text": {"type": "mrkdwn", "text": "*CPU* above 90% for 5m &amp; rising, <https://grafana.example.com/d/abc|dashboard>"},
     "accessory": {"type": "image", "image_url": "https://grafana.example.com/thumb.png", "alt_text": "graph"}},
    {"type": "section", "fields": [
      {"type": "mrkdwn", "text": "*Host:*\nweb-1"}, {"type": "mrkdwn", "text": "*Value:*\n97.3%"},
      {"type": "mrkdwn", "text": "*Since:*\n18:21 UTC"}, {"type": "mrkdwn", "text": "*Runbook:*\n<https://wiki.example.com/cpu|cpu>"}]},
    {"type": "divider"},
    {"type": "context", "elements": [{"type": "mrkdwn", "text": "Grafana v10.4 · <!here>"}]},
    {"type": "actions", "elements": [{"type": "button", "text": {"type": "plain_text", "text": "Silence"}}]}
  ],
  "attachments": [
    {"fallback": "[Alerting] High CPU", "color": "#D63232", "title": "[Alerting] High CPU",
     "title_link": "https://grafana.example.com/d/abc?panelId=2",
     "text": "CPU above 90% on <https://grafana.example.com/d/abc|web-1> for <!channel>",
     "fields": [{"title": "web-1", "value": 97.3, "short": true}, {"title": "web-2", "value": "41.0", "short": "true"}],
     "image_url": "https://grafana.example.com/render/abc.png", "footer": "Grafana", "ts": 1712345678},
    {"color": "good", "pretext": "Resolved: <https://grafana.example.com/d/def|disk>", "text": "all clear"}
  ]
}"##;

fn bench(c: &mut Criterion) {
    let webhook = WebhookView {
        display_name: "Bench hook".into(),
        allow_username_override: true,
        allow_icon_override: true,
        markup: Markup::Slack,
        ..WebhookView::default()
    };
    let base = TranslationRequest {
        content_type: Some("application/json"),
        webhook: &webhook,
        directory: &Team,
        ..Default::default()
    };
    for (name, body) in [("typical", TYPICAL), ("attachments_and_blocks", RICH)] {
        let req = |body| TranslationRequest { body, ..base };
        assert!(
            matches!(
                Translator::Slack.translate(&req(body.as_bytes())),
                Outcome::Posts { .. }
            ),
            "{name}"
        );
        c.bench_function(name, |b| {
            b.iter(|| Translator::Slack.translate(&req(black_box(body.as_bytes()))))
        });
    }
}

/// One payload per vendor integration, read from its fixtures: each
/// translated as ingress does (no event header needed by these vendors).
const INTEGRATION_PAYLOADS: &[(&str, &str)] = &[
    (
        "pagerduty",
        include_str!("../tests/fixtures/integrations/pagerduty/v3_incident_triggered.json"),
    ),
    (
        "opsgenie",
        include_str!("../tests/fixtures/integrations/opsgenie/create.json"),
    ),
    (
        "newrelic",
        include_str!("../tests/fixtures/integrations/newrelic/issue_activated.json"),
    ),
    (
        "splunk",
        include_str!("../tests/fixtures/integrations/splunk/search_one_result.json"),
    ),
    (
        "zabbix",
        include_str!("../tests/fixtures/integrations/zabbix/problem_disaster.json"),
    ),
    (
        "uptimerobot",
        include_str!("../tests/fixtures/integrations/uptimerobot/monitor_down.json"),
    ),
    (
        "pingdom",
        include_str!("../tests/fixtures/integrations/pingdom/http_up_to_down.json"),
    ),
    (
        "statuspage",
        include_str!("../tests/fixtures/integrations/statuspage/incident_updated.json"),
    ),
    (
        "papertrail",
        include_str!("../tests/fixtures/integrations/papertrail/json_body.json"),
    ),
    (
        "updown",
        include_str!("../tests/fixtures/integrations/updown/check_down_one_event.json"),
    ),
    (
        "raygun",
        include_str!("../tests/fixtures/integrations/raygun/new_error.json"),
    ),
    (
        "airbrake",
        include_str!("../tests/fixtures/integrations/airbrake/error_message.json"),
    ),
];

fn bench_integrations(c: &mut Criterion) {
    let webhook = WebhookView {
        display_name: "Bench hook".into(),
        ..WebhookView::default()
    };
    for (name, body) in INTEGRATION_PAYLOADS {
        let req = TranslationRequest {
            content_type: Some("application/json"),
            body: body.as_bytes(),
            webhook: &webhook,
            ..Default::default()
        };
        let translator = Translator::find(&DialectName::Integration((*name).into()));
        let Ok(translator) = translator else {
            panic!("no integration {name}");
        };
        assert!(
            matches!(translator.translate(&req), Outcome::Posts { .. }),
            "{name}"
        );
        c.bench_function(&format!("integration_{name}"), |b| {
            b.iter(|| translator.translate(black_box(&req)))
        });
    }
}

criterion_group!(benches, bench, bench_integrations);
criterion_main!(benches);
