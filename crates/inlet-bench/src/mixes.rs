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
/// An emakin case gets this many updates before its lane opens the next
/// one (openings wait for the formatter's verdict).
const UPDATES_PER_CASE: u64 = 20;

/// A message to send.
pub struct Job {
    /// The lane (thread or case sequence) the message belongs to, unique
    /// within the mix: talkSpirit lanes are even, emakin lanes odd.
    pub lane: Option<u32>,
    pub kind: Kind,
    pub request: Request,
}

/// What a message is, for the latencies by kind: the kinds of the mixes,
/// with emakin's case openings (which wait for their verdict) apart from
/// its updates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Slack,
    SlackAttachments,
    GithubPush,
    Talkspirit,
    EmakinUpdate,
    EmakinOpening,
}

impl Kind {
    pub const ALL: [Kind; 6] = [
        Kind::Slack,
        Kind::SlackAttachments,
        Kind::GithubPush,
        Kind::Talkspirit,
        Kind::EmakinUpdate,
        Kind::EmakinOpening,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Kind::Slack => "slack",
            Kind::SlackAttachments => "slack-attachments",
            Kind::GithubPush => "github-push",
            Kind::Talkspirit => "talkspirit",
            Kind::EmakinUpdate => "emakin-update",
            Kind::EmakinOpening => "emakin-opening",
        }
    }

    /// Its place in [`Kind::ALL`] (what the ledger keeps).
    pub fn index(self) -> u8 {
        Kind::ALL.iter().position(|k| *k == self).unwrap_or(0) as u8
    }
}

/// Makes the messages of one connection: numbers `n ≡ connection (mod
/// connections)`, and the lanes `lane ≡ connection (mod connections)`, so
/// that a lane is only ever sent on one connection.
///
/// A generator lives for a whole mix, across its phases: its threads and
/// cases go on from one phase to the next, so that a measured phase sees
/// the steady state (a case opened every `UPDATES_PER_CASE + 1` emakin
/// messages, replies in threads rooted earlier) rather than every lane
/// opening at once. The warm-up is long enough to open every lane.
pub struct Generator {
    mix: Mix,
    /// Names this mix's threads and cases.
    run: String,
    /// Marks the current phase's messages.
    phase: String,
    host: String,
    hooks: Vec<Hook>,
    connection: u64,
    connections: u64,
    /// Lanes per kind (talkSpirit threads, emakin case sequences).
    lanes: u64,
    /// Messages sent so far per talkSpirit lane, and per emakin lane.
    thread_counts: Vec<u64>,
    case_counts: Vec<u64>,
    /// Messages of each kind sent by this connection: picks the next of
    /// its lanes in turn.
    threads_sent: u64,
    cases_sent: u64,
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
            phase: run.to_string(),
            host: host.to_string(),
            hooks,
            connection,
            connections: connections.max(1),
            lanes: lanes as u64,
            thread_counts: vec![0; lanes],
            case_counts: vec![0; lanes],
            threads_sent: 0,
            cases_sent: 0,
        }
    }

    /// Marks the following messages with `phase` (see [`find_marker`]).
    pub fn begin_phase(&mut self, phase: &str) {
        self.phase = phase.to_string();
    }

    /// This connection's `turn`-th lane, in rotation.
    fn lane(&self, turn: u64) -> usize {
        let own = (self.lanes.saturating_sub(self.connection))
            .div_ceil(self.connections)
            .max(1);
        ((self.connection + self.connections * (turn % own)) % self.lanes.max(1)) as usize
    }

    pub fn marker(&self, n: u64) -> String {
        format!("ib{}-{n}", self.phase)
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
        match kind {
            Mix::Slack | Mix::SlackAttachments | Mix::GithubPush | Mix::Mixed => {
                // A multiplicative step spreads consecutive messages over
                // the channels.
                let spread = n.wrapping_mul(0x9E37_79B9) >> 8;
                let hook = &self.hooks[(spread % self.hooks.len() as u64) as usize];
                let (kind, request) = match kind {
                    Mix::Slack => (Kind::Slack, slack(&self.host, hook, &marker)),
                    Mix::SlackAttachments => (
                        Kind::SlackAttachments,
                        slack_attachments(&self.host, hook, &marker, n),
                    ),
                    _ => (Kind::GithubPush, github_push(&self.host, hook, &marker, n)),
                };
                Job {
                    lane: None,
                    kind,
                    request,
                }
            }
            Mix::TalkspiritThreads => {
                let lane = self.lane(self.threads_sent);
                self.threads_sent += 1;
                let hook = &self.hooks[lane / LANES_PER_HOOK];
                let index = self.thread_counts[lane];
                self.thread_counts[lane] += 1;
                Job {
                    lane: Some(lane as u32 * 2),
                    kind: Kind::Talkspirit,
                    request: talkspirit(&self.host, hook, &marker, lane, index, &self.run),
                }
            }
            Mix::EmakinCases => {
                let lane = self.lane(self.cases_sent);
                self.cases_sent += 1;
                let hook = &self.hooks[lane / LANES_PER_HOOK];
                let index = self.case_counts[lane];
                self.case_counts[lane] += 1;
                let (case, opening) = case_of(lane as u64, index);
                let case = format!("case-{}-{lane}-{case}", self.run);
                Job {
                    lane: Some(lane as u32 * 2 + 1),
                    kind: if opening {
                        Kind::EmakinOpening
                    } else {
                        Kind::EmakinUpdate
                    },
                    request: emakin(&self.host, hook, &marker, &case, opening),
                }
            }
        }
    }
}

/// The case of a lane's `index`-th message, and whether the message opens
/// it. A lane's first message opens its first case; later cases open every
/// `UPDATES_PER_CASE + 1` messages, shifted per lane so that the lanes'
/// openings do not fall together.
fn case_of(lane: u64, index: u64) -> (u64, bool) {
    let cycle = UPDATES_PER_CASE + 1;
    // 8 is prime to the cycle (21): the shifts take every value.
    let shifted = index + (lane * 8) % cycle;
    (shifted / cycle, index == 0 || shifted.is_multiple_of(cycle))
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

/// A GitHub push without its commits, and the fields every commit shares
/// (the dialects' `github_push` benchmark translates the same push).
const GITHUB_PUSH: &str = include_str!("../../inlet-dialects/benches/github-push.json");

fn github_push(host: &str, hook: &Hook, marker: &str, n: u64) -> Request {
    let template: serde_json::Value = serde_json::from_str(GITHUB_PUSH).unwrap_or_default();
    let mut push = template["push"].clone();
    push["commits"] = (0..20)
        .map(|i| {
            let sha = format!("{i:02}{n:014x}c3d4e5f60718293a4b5c6d7e");
            let message = if i == 0 {
                format!("Bench push {marker}\n\nThe body of the commit message.")
            } else {
                format!("Fix the thing number {i}\n\nLonger explanation of the change.")
            };
            let url = format!("https://github.com/octo-org/hello-world/commit/{sha}");
            let mut commit = template["commit"].clone();
            commit["id"] = sha.into();
            commit["message"] = message.into();
            commit["url"] = url.into();
            commit["author"] = serde_json::json!(
                {"name": "Octo Cat", "email": "octocat@example.com", "username": "octocat"}
            );
            commit
        })
        .collect();
    json(
        host,
        &format!("/api/v1/external/github?api_key={}", hook.token),
        &[("X-GitHub-Event", "push".into())],
        push,
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
        for mix in [Mix::TalkspiritThreads, Mix::EmakinCases, Mix::Mixed] {
            for c in 0..connections {
                let mut generator = Generator::new(mix, "r", "h", hooks(), c, connections);
                for j in 0..200 {
                    let job = generator.next(j * connections + c);
                    if let Some(lane) = job.lane.map(u64::from) {
                        assert_eq!((lane / 2) % connections, c, "{mix:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn every_case_is_opened_before_its_updates_in_the_mixed_mix() {
        let connections = 3;
        for c in 0..connections {
            let mut generator = Generator::new(Mix::Mixed, "r", "h", hooks(), c, connections);
            let mut opened = std::collections::HashSet::new();
            for j in 0..3000 {
                let job = generator.next(j * connections + c);
                let body: serde_json::Value =
                    serde_json::from_slice(&job.request.body).unwrap_or_default();
                if let Some(case) = body.get("id").and_then(|v| v.as_str()) {
                    assert!(opened.insert(case.to_string()), "{case} opened twice");
                } else if let Some(case) = body["references"][0].as_str() {
                    assert!(
                        opened.contains(case),
                        "an update of {case} before its opening"
                    );
                }
            }
        }
    }

    #[test]
    fn case_openings_are_spread_over_the_lanes() {
        // After every lane's first message, a 21st of the messages are
        // openings in every stretch of a cycle, not all at once.
        let lanes = 40u64;
        for index in 1..200u64 {
            let openings = (0..lanes).filter(|&l| case_of(l, index).1).count();
            assert!(
                openings <= 3,
                "{openings} lanes open a case at message {index}"
            );
        }
        assert!((0..lanes).all(|l| case_of(l, 0) == (0, true)));
    }

    #[test]
    fn threads_and_cases_go_on_across_phases() {
        let mut generator = Generator::new(Mix::TalkspiritThreads, "r", "h", hooks(), 0, 1);
        let first = generator.next(0);
        generator.begin_phase("r2");
        let mut body = serde_json::Value::Null;
        for n in 0..(hooks().len() * LANES_PER_HOOK) as u64 {
            let job = generator.next(n);
            if job.lane == first.lane {
                body = serde_json::from_slice(&job.request.body).unwrap_or_default();
            }
        }
        assert!(
            body.get("title").is_none(),
            "a new phase replies in the thread"
        );
        assert!(find_marker(body["content"].as_str().unwrap_or(""), "r2").is_some());
    }
}
