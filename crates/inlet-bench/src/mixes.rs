//! The workload mixes of performance.md. A mix turns the n-th message of a
//! run into an HTTP request carrying the run's marker (`ib<run>-<n>`), so
//! that the receiving side can find the message in whatever the pipeline
//! made of it, and into a lane: messages of one lane (one thread, one case)
//! are sent one after the other on one connection, so their order is known
//! and the pipeline must keep it.

use crate::http::Request;
use crate::provision::Hook;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Mix {
    /// Small Slack text messages.
    Slack,
    /// Slack messages of 1–4 KiB with attachments.
    SlackAttachments,
    /// GitHub pushes of 20 commits (~8 KiB) through the integration.
    GithubPush,
    /// talkSpirit posts in 10 threads per channel, many replies each.
    TalkspiritThreads,
    /// emakin case openings and their updates.
    EmakinCases,
    /// All of the above: 40 % slack, 20 % attachments, 10 % github-push,
    /// 20 % talkspirit-threads, 10 % emakin-cases.
    Mixed,
}

impl Mix {
    pub fn name(self) -> &'static str {
        match self {
            Mix::Slack => "slack",
            Mix::SlackAttachments => "slack-attachments",
            Mix::GithubPush => "github-push",
            Mix::TalkspiritThreads => "talkspirit-threads",
            Mix::EmakinCases => "emakin-cases",
            Mix::Mixed => "mixed",
        }
    }
}

/// Threads per webhook in the talkSpirit mix, and cases per webhook in the
/// emakin mix.
pub const LANES_PER_HOOK: usize = 10;
/// An emakin lane opens its case, then sends this many updates before it
/// opens the next one (openings wait for the formatter's verdict).
const UPDATES_PER_CASE: u64 = 20;

/// A message to send.
pub struct Job {
    pub lane: Option<u32>,
    pub request: Request,
}

/// Makes the messages of one connection: numbers `n ≡ connection (mod
/// connections)`, and the lanes `lane ≡ connection (mod connections)`, so
/// that a lane is only ever sent on one connection.
pub struct Generator {
    mix: Mix,
    run: String,
    host: String,
    hooks: Vec<Hook>,
    connection: u64,
    connections: u64,
    /// Messages sent so far per lane (emakin: opening or update).
    lane_counts: Vec<u64>,
}

impl Generator {
    /// Needs at least as many lanes (`hooks × LANES_PER_HOOK`) as connections.
    pub fn new(
        mix: Mix,
        run: &str,
        host: &str,
        hooks: Vec<Hook>,
        connection: u64,
        connections: u64,
    ) -> Self {
        let lanes = hooks.len() * LANES_PER_HOOK;
        Self {
            mix,
            run: run.to_string(),
            host: host.to_string(),
            hooks,
            connection,
            connections: connections.max(1),
            lane_counts: vec![0; lanes],
        }
    }

    /// One of this connection's lanes.
    fn lane(&self, spread: u64) -> usize {
        let lanes = self.lane_counts.len() as u64;
        let own = (lanes.saturating_sub(self.connection))
            .div_ceil(self.connections)
            .max(1);
        ((self.connection + self.connections * (spread % own)) % lanes.max(1)) as usize
    }

    pub fn marker(&self, n: u64) -> String {
        format!("ib{}-{n}", self.run)
    }

    pub fn next(&mut self, n: u64) -> Job {
        let kind = match self.mix {
            Mix::Mixed => match n % 10 {
                0 | 2 | 4 | 6 => Mix::Slack,
                1 | 5 => Mix::SlackAttachments,
                3 => Mix::GithubPush,
                7 | 9 => Mix::TalkspiritThreads,
                _ => Mix::EmakinCases,
            },
            other => other,
        };
        let marker = self.marker(n);
        // Spread lanes and hooks with a multiplicative step so that
        // consecutive messages land on different channels.
        let spread = n.wrapping_mul(0x9E37_79B9) >> 8;
        match kind {
            Mix::Slack | Mix::SlackAttachments | Mix::GithubPush | Mix::Mixed => {
                let hook = &self.hooks[(spread % self.hooks.len() as u64) as usize];
                let request = match kind {
                    Mix::Slack => slack(&self.host, hook, &marker),
                    Mix::SlackAttachments => slack_attachments(&self.host, hook, &marker, n),
                    _ => github_push(&self.host, hook, &marker, n),
                };
                Job {
                    lane: None,
                    request,
                }
            }
            Mix::TalkspiritThreads => {
                let lane = self.lane(spread);
                let hook = &self.hooks[lane / LANES_PER_HOOK];
                let index = self.lane_counts[lane];
                self.lane_counts[lane] += 1;
                Job {
                    lane: Some(lane as u32),
                    request: talkspirit(&self.host, hook, &marker, lane, index, &self.run),
                }
            }
            Mix::EmakinCases => {
                let lane = self.lane(spread);
                let hook = &self.hooks[lane / LANES_PER_HOOK];
                let index = self.lane_counts[lane];
                self.lane_counts[lane] += 1;
                let case = format!(
                    "case-{}-{lane}-{}",
                    self.run,
                    index / (UPDATES_PER_CASE + 1)
                );
                let opening = index.is_multiple_of(UPDATES_PER_CASE + 1);
                Job {
                    lane: Some(lane as u32),
                    request: emakin(&self.host, hook, &marker, &case, opening),
                }
            }
        }
    }
}

fn json(host: &str, path: &str, extra: &[(&str, String)], body: serde_json::Value) -> Request {
    let body = serde_json::to_vec(&body).unwrap_or_default();
    Request::post(host, path, "application/json", extra, body)
}

fn slack(host: &str, hook: &Hook, marker: &str) -> Request {
    json(
        host,
        &format!("/hooks/{}", hook.token),
        &[],
        serde_json::json!({
            "text": format!("Deploy {marker} finished: **api** v1.4.2 on `prod` in 42 s. See <https://ci.example.com/builds/8812|build 8812>."),
            "username": "deploy-bot",
        }),
    )
}

fn slack_attachments(host: &str, hook: &Hook, marker: &str, n: u64) -> Request {
    let count = 1 + (n % 4) as usize;
    let attachments: Vec<_> = (0..count)
        .map(|i| {
            let color = ["#36a64f", "#d00000", "#e8a820", "#439fe0"][i % 4];
            serde_json::json!({
                "fallback": format!("Alert {i} for {marker}"),
                "color": color,
                "pretext": "Monitoring noticed something",
                "author_name": "monitor",
                "title": format!("High latency on checkout-{i}"),
                "title_link": "https://grafana.example.com/d/checkout",
                "text": "p99 latency above the 500 ms threshold for 5 minutes. The last deploy was 12 minutes ago; the error rate is normal. Runbook: https://wiki.example.com/runbooks/latency. ".repeat(3),
                "fields": [
                    {"title": "Service", "value": format!("checkout-{i}"), "short": true},
                    {"title": "Region", "value": "eu-west-1", "short": true},
                    {"title": "Value", "value": "734 ms", "short": true},
                    {"title": "Threshold", "value": "500 ms", "short": true}
                ],
                "footer": "monitor",
                "ts": 1_700_000_000 + i
            })
        })
        .collect();
    json(
        host,
        &format!("/hooks/{}", hook.token),
        &[],
        serde_json::json!({"text": format!("Alerts {marker}"), "attachments": attachments}),
    )
}

fn github_push(host: &str, hook: &Hook, marker: &str, n: u64) -> Request {
    let commits: Vec<_> = (0..20)
        .map(|i| {
            let sha = format!("{i:02}{n:014x}c3d4e5f60718293a4b5c6d7e");
            let message = if i == 0 {
                format!("Bench push {marker}\n\nThe body of the commit message.")
            } else {
                format!("Fix the thing number {i}\n\nLonger explanation of the change.")
            };
            serde_json::json!({
                "id": sha,
                "tree_id": "f9d2a07e9488b91af2641b26b9407fe22a451433",
                "distinct": true,
                "message": message,
                "timestamp": "2025-03-04T10:00:00+01:00",
                "url": format!("https://github.com/octo-org/hello-world/commit/{sha}"),
                "author": {"name": "Octo Cat", "email": "octocat@example.com", "username": "octocat"},
                "committer": {"name": "GitHub", "email": "noreply@github.com", "username": "web-flow"},
                "added": [], "removed": [], "modified": ["README.md"]
            })
        })
        .collect();
    json(
        host,
        &format!("/api/v1/external/github?api_key={}", hook.token),
        &[("X-GitHub-Event", "push".into())],
        serde_json::json!({
            "ref": "refs/heads/main",
            "before": "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
            "after": "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c",
            "created": false, "deleted": false, "forced": false,
            "compare": "https://github.com/octo-org/hello-world/compare/6113728f27ae...0d1a26e67d8f",
            "commits": commits,
            "repository": {"id": 1296269, "name": "hello-world", "full_name": "octo-org/hello-world",
                           "html_url": "https://github.com/octo-org/hello-world", "private": false},
            "pusher": {"name": "octocat", "email": "octocat@github.com"},
            "sender": {"login": "octocat", "id": 1, "html_url": "https://github.com/octocat"}
        }),
    )
}

fn talkspirit(
    host: &str,
    hook: &Hook,
    marker: &str,
    lane: usize,
    index: u64,
    run: &str,
) -> Request {
    let mut body = serde_json::json!({
        "content": format!("Build step {index} of thread {lane}: {marker} passed."),
        "thread_id": format!("bench-{run}-thread-{lane}"),
    });
    if index == 0 {
        body["title"] = serde_json::json!(format!("Nightly build {lane}"));
        body["url"] = serde_json::json!("https://ci.example.com/nightly");
    }
    json(host, &format!("/v1/incoming/{}", hook.token), &[], body)
}

fn emakin(host: &str, hook: &Hook, marker: &str, case: &str, opening: bool) -> Request {
    let body = if opening {
        serde_json::json!({"id": case, "text": format!("Disk almost full on db-1 ({marker})")})
    } else {
        serde_json::json!({"references": [case], "text": format!("Cleanup progress {marker}")})
    };
    json(
        host,
        &format!("/hooks/channels/{}/{}", hook.channel_id, hook.token),
        &[],
        body,
    )
}

/// Finds the first marker of `run` in `text` and returns its number.
pub fn find_marker(text: &str, run: &str) -> Option<u64> {
    let needle = format!("ib{run}-");
    let start = text.find(&needle)? + needle.len();
    let digits: String = text[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hooks() -> Vec<Hook> {
        (0..4)
            .map(|i| Hook {
                channel_id: uuid::Uuid::nil(),
                token: format!("token{i}"),
            })
            .collect()
    }

    #[test]
    fn every_message_carries_its_marker() {
        for mix in [
            Mix::Slack,
            Mix::SlackAttachments,
            Mix::GithubPush,
            Mix::TalkspiritThreads,
            Mix::EmakinCases,
            Mix::Mixed,
        ] {
            let mut generator = Generator::new(mix, "ab12", "h", hooks(), 0, 1);
            for n in 0..50 {
                let job = generator.next(n);
                let body = String::from_utf8(job.request.body).unwrap_or_default();
                assert_eq!(find_marker(&body, "ab12"), Some(n), "{mix:?} message {n}");
            }
        }
    }

    #[test]
    fn a_marker_is_not_confused_with_a_longer_number() {
        assert_eq!(find_marker("x ibab12-17 and ibab12-18", "ab12"), Some(17));
        assert_eq!(find_marker("ibab12-", "ab12"), None);
        assert_eq!(find_marker("ibzz-3", "ab12"), None);
    }

    #[test]
    fn emakin_lanes_open_their_case_first() {
        let mut generator = Generator::new(Mix::EmakinCases, "r", "h", hooks(), 0, 1);
        let mut seen = std::collections::HashSet::new();
        for n in 0..500 {
            let job = generator.next(n);
            let body: serde_json::Value =
                serde_json::from_slice(&job.request.body).unwrap_or_default();
            let lane = job.lane.unwrap_or(u32::MAX);
            if seen.insert(lane) {
                assert!(body.get("id").is_some(), "a lane starts with its opening");
            }
        }
    }

    #[test]
    fn a_lane_belongs_to_one_connection() {
        let connections = 7;
        for c in 0..connections {
            let mut generator =
                Generator::new(Mix::TalkspiritThreads, "r", "h", hooks(), c, connections);
            for j in 0..200 {
                let lane = generator.next(j * connections + c).lane.map(u64::from);
                assert_eq!(lane.map(|l| l % connections), Some(c));
            }
        }
    }
}
