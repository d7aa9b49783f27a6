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

/// One payload per vendor integration (a fixture of
/// `tests/fixtures/integrations/<name>/`, with its headers), each checked
/// to post before it is timed: none should be slower than the GitHub push
/// formatter (`github_push`).
const INTEGRATION_PAYLOADS: &[(&str, &str)] = &[
    ("bitbucket2", "push__commits"),
    ("bitbucket3", "pr_opened"),
    ("azuredevops", "git_push"),
    ("gogs", "push"),
    ("circleci", "workflow_completed"),
    ("travis", "push__json_body"),
    ("teamcity", "failure__broken"),
    ("buildbot", "finished__success"),
    ("appveyor", "build_success"),
    ("semaphore", "pipeline__passed"),
    ("gocd", "stage__failed"),
    ("netlify", "deploy_created"),
    ("harbor", "scanning_completed"),
    ("sonarqube", "analysis__error"),
    ("rundeck", "success"),
    ("stripe", "customer_subscription__updated"),
    ("linear", "issue__create"),
    ("clubhouse", "story_update_state"),
    ("pivotal", "v5__story_update_state_and_estimate"),
    ("intercom", "conversation__admin_replied"),
    ("freshdesk", "ticket_created"),
    ("zapier", "message"),
    ("pagerduty", "v3_incident_triggered"),
    ("opsgenie", "create"),
    ("newrelic", "issue_activated"),
    ("splunk", "search_one_result"),
    ("zabbix", "problem_disaster"),
    ("uptimerobot", "monitor_down"),
    ("pingdom", "http_up_to_down"),
    ("statuspage", "incident_updated"),
    ("papertrail", "json_body"),
    ("updown", "check_down_one_event"),
    ("raygun", "new_error"),
    ("airbrake", "error_message"),
];

fn integration_payloads(c: &mut Criterion) {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/integrations");
    let webhook = WebhookView {
        display_name: "Bench hook".into(),
        ..WebhookView::default()
    };
    for (name, case) in INTEGRATION_PAYLOADS {
        let dir = root.join(name);
        let body = std::fs::read(dir.join(format!("{case}.json"))).unwrap_or_default();
        let request: serde_json::Value = std::fs::read(dir.join(format!("{case}.request.json")))
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default();
        let headers: Vec<(String, String)> = request["headers"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, v)| (k.to_ascii_lowercase(), v.as_str().unwrap_or("").to_string()))
            .collect();
        let req = TranslationRequest {
            headers: &headers,
            content_type: Some("application/json"),
            body: &body,
            webhook: &webhook,
            ..Default::default()
        };
        let translator = Translator::find(&DialectName::Integration((*name).into()));
        let Ok(translator) = translator else {
            panic!("no integration {name}");
        };
        assert!(
            matches!(translator.translate(&req), Outcome::Posts { .. }),
            "{name}/{case} does not post"
        );
        c.bench_function(&format!("integration_{name}_{case}"), |b| {
            b.iter(|| translator.translate(black_box(&req)))
        });
    }
}

criterion_group!(benches, bench, integration_payloads);
criterion_main!(benches);
