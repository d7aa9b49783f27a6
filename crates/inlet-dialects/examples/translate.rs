//! Translate one payload file through an integration and print the outcome
//! as JSON: a way to try what a vendor sends without the services.
//!
//! ```text
//! cargo run -p inlet-dialects --example translate -- github push.json \
//!     --header X-GitHub-Event=push --query branches=main
//! ```
//!
//! Options: `--header NAME=VALUE`, `--query NAME=VALUE` (each repeatable),
//! `--content-type TYPE` (default `application/json`), `--now SECONDS`.
//! Several payload files may follow the integration's name; each is
//! printed as one JSON line `{"file", "outcome"}`.

use inlet_dialects::{DialectName, Outcome, Refusal, ThreadRef, TranslationRequest, WebhookView};
use serde_json::{Value, json};

fn pair(arg: &str) -> (String, String) {
    match arg.split_once('=') {
        Some((name, value)) => (name.to_string(), value.to_string()),
        None => usage(&format!("expected NAME=VALUE, got {arg:?}")),
    }
}

fn usage(problem: &str) -> ! {
    eprintln!("{problem}");
    eprintln!(
        "usage: translate INTEGRATION FILE... [--header NAME=VALUE] [--query NAME=VALUE] \
         [--content-type TYPE] [--now SECONDS]"
    );
    std::process::exit(2)
}

fn outcome_json(outcome: &Outcome) -> Value {
    match outcome {
        Outcome::Refused(Refusal::Integration(error)) => {
            json!({"error": error.code.as_str(), "status": error.status, "message": error.message})
        }
        Outcome::Refused(refusal) => json!({"refused": refusal.to_string()}),
        Outcome::Ignored {
            event,
            reason,
            message,
        } => json!({"ignored": {"event": event, "reason": reason.as_str(), "message": message}}),
        Outcome::Posts { event, posts, .. } => {
            let posts: Vec<Value> = posts
                .iter()
                .map(|post| {
                    let thread = match &post.thread {
                        Some(ThreadRef::Key(key)) => json!(key),
                        other => json!(format!("{other:?}")),
                    };
                    let message: String = post.drafts.iter().map(|d| d.message.as_str()).collect();
                    json!({
                        "thread_key": thread,
                        "topic": post.drafts[0].props.get("topic"),
                        "message": message,
                    })
                })
                .collect();
            json!({"event": event, "posts": posts})
        }
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(name) = args.next() else {
        usage("no integration named")
    };
    let (mut files, mut headers, mut query) = (Vec::new(), Vec::new(), Vec::new());
    let mut content_type = "application/json".to_string();
    let mut now = None;
    while let Some(arg) = args.next() {
        let mut value = || {
            args.next()
                .unwrap_or_else(|| usage(&format!("{arg} needs a value")))
        };
        match arg.as_str() {
            "--header" => {
                let (header, value) = pair(&value());
                headers.push((header.to_ascii_lowercase(), value));
            }
            "--query" => query.push(pair(&value())),
            "--content-type" => content_type = value(),
            "--now" => now = Some(value().parse().unwrap_or_else(|_| usage("--now: seconds"))),
            _ => files.push(arg),
        }
    }
    if files.is_empty() {
        usage("no payload file given");
    }
    let webhook = WebhookView {
        display_name: "Vendor hook".into(),
        ..WebhookView::default()
    };
    let dialect = DialectName::Integration(name);
    for file in files {
        let body = std::fs::read(&file).unwrap_or_else(|e| usage(&format!("{file}: {e}")));
        let request = TranslationRequest {
            headers: &headers,
            query: &query,
            content_type: Some(&content_type),
            body: &body,
            webhook: &webhook,
            now,
            ..Default::default()
        };
        let outcome = inlet_dialects::translate(&dialect, &request);
        println!(
            "{}",
            json!({"file": file, "outcome": outcome_json(&outcome)})
        );
    }
}
