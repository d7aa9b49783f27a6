//! Hostile input at ingress (reliability.md B1, B4): a 10 MiB body is
//! refused with 413 before it is read, whether announced or chunked; a body
//! that trickles in is cut off at the body deadline; rotated-away, revoked
//! and unknown tokens get one and the same answer. Nothing is posted.
//! And at the management API: the token and its access level are judged
//! before the input, and bodies have the same size limit and deadline.

use inlet_testkit::{Services, TestStack};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const MIB: usize = 1024 * 1024;

/// Reads whatever the server answers until it closes or `limit` passes.
async fn read_answer(stream: &mut TcpStream, limit: Duration) -> String {
    let mut answer = Vec::new();
    let mut buffer = [0u8; 4096];
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        match tokio::time::timeout(Duration::from_millis(200), stream.read(&mut buffer)).await {
            Ok(Ok(0)) | Ok(Err(_)) => break,
            Ok(Ok(n)) => answer.extend_from_slice(&buffer[..n]),
            Err(_) if !answer.is_empty() => break,
            Err(_) => {}
        }
    }
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ten_mib_body_gets_413_before_it_is_read_announced_or_chunked() {
    let stack = TestStack::start().await.unwrap();
    let f = stack.fixture().await.unwrap();
    let address = format!("127.0.0.1:{}", stack.ingress_port);

    // Announced: 10 MiB by Content-Length; we send 64 KiB and stop.
    let mut stream = TcpStream::connect(&address).await.unwrap();
    let head = format!(
        "POST /hooks/{} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        f.token,
        10 * MIB
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&vec![b' '; 64 * 1024]).await.unwrap();
    let answer = read_answer(&mut stream, Duration::from_secs(5)).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("payload_too_large"), "{answer}");

    // Chunked: no length announced; refused once the limit (1 MiB) is
    // passed, well before the 10 MiB are sent.
    let mut stream = TcpStream::connect(&address).await.unwrap();
    let head = format!(
        "POST /hooks/{} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
        f.token
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let chunk = vec![b' '; 64 * 1024];
    let mut sent = 0;
    let mut refused_early = false;
    while sent < 10 * MIB {
        let frame = format!("{:x}\r\n", chunk.len());
        let wrote = async {
            stream.write_all(frame.as_bytes()).await?;
            stream.write_all(&chunk).await?;
            stream.write_all(b"\r\n").await
        };
        if wrote.await.is_err() {
            refused_early = true; // the server closed the connection
            break;
        }
        sent += chunk.len();
        if sent == 2 * MIB {
            // Past the limit: the answer should be there by now.
            let answer = read_answer(&mut stream, Duration::from_secs(5)).await;
            assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
            refused_early = true;
            break;
        }
    }
    assert!(refused_early, "all 10 MiB were read");
    assert!(sent < 10 * MIB);

    // Nothing was posted; the webhook still works.
    assert_eq!(
        stack.slack_status(&f.token, r#"{"text":"fine"}"#).await,
        200
    );
    let post = stack.wait_for_only_post(&f.channel_id).await;
    assert_eq!(post.message, "fine");
    stack.stop().await;
}

/// Sends `head`, then `body` one byte every 300 ms, and returns the answer
/// as soon as one comes (the server cuts a slow body off).
/// Posts the JSON `body` to `path` on `port` a byte every 300 ms, with
/// the extra `headers` (each ending in CRLF), and checks that the answer
/// is a 408 that came before 3.5 s: the answer.
async fn post_trickling(port: u16, path: &str, headers: &str, body: &[u8]) -> String {
    let mut stream = TcpStream::connect(format!("127.0.0.1:{port}"))
        .await
        .unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: x\r\n{headers}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    let started = Instant::now();
    let answer = trickle(&mut stream, &head, body).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(
        started.elapsed() < Duration::from_millis(3_500),
        "cut off after {:?}",
        started.elapsed()
    );
    answer
}

async fn trickle(stream: &mut TcpStream, head: &str, body: &[u8]) -> String {
    stream.write_all(head.as_bytes()).await.unwrap();
    for byte in body {
        if stream.write_all(&[*byte]).await.is_err() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        let mut buffer = [0u8; 1024];
        if let Ok(Ok(n)) =
            tokio::time::timeout(Duration::from_millis(1), stream.read(&mut buffer)).await
            && n > 0
        {
            return String::from_utf8_lossy(&buffer[..n]).into_owned();
        }
    }
    read_answer(stream, Duration::from_secs(5)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_trickles_in_is_cut_off_at_the_body_deadline() {
    let stack = TestStack::start_with(Services::ALL, |s| s.ingress.body_timeout_ms = 1_000)
        .await
        .unwrap();
    let f = stack.fixture().await.unwrap();
    let path = format!("/hooks/{}", f.token);
    post_trickling(stack.ingress_port, &path, "", br#"{"text":"slow"}"#).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let posts = stack.posts_of(&f.channel_id).await;
    assert!(posts.is_empty());
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotated_away_revoked_and_unknown_tokens_get_the_same_answer() {
    let stack = TestStack::start().await.unwrap();
    let rotated = stack.fixture().await.unwrap();
    let revoked = stack.fixture().await.unwrap();
    let rotate = format!("/api/v1/webhooks/{}/rotate", rotated.webhook_id);
    let (status, _) = stack
        .api_request(reqwest::Method::POST, &rotate, None)
        .await;
    assert_eq!(status, 200);
    let revoke = format!("/api/v1/webhooks/{}", revoked.webhook_id);
    let (status, _) = stack
        .api_request(reqwest::Method::DELETE, &revoke, None)
        .await;
    assert_eq!(status, 200);
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    let mut answers = Vec::new();
    for token in [
        rotated.token.as_str(),
        revoked.token.as_str(),
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "x",
    ] {
        let response = stack.post_slack(token, r#"{"text":"x"}"#).await.unwrap();
        let status = response.status().as_u16();
        let mut headers: Vec<String> = response
            .headers()
            .iter()
            // Per request, or transport: `connection: close` follows from
            // whether the unread body had arrived when the answer was sent.
            .filter(|(name, _)| !["x-request-id", "date", "connection"].contains(&name.as_str()))
            .map(|(name, value)| format!("{name}: {}", value.to_str().unwrap_or("")))
            .collect();
        headers.sort();
        let body = response.text().await.unwrap();
        assert!(!body.contains(token) || token == "x", "the token is echoed");
        answers.push((status, headers, body));
    }
    assert_eq!(answers[0].0, 404);
    for answer in &answers[1..] {
        assert_eq!(answer, &answers[0], "answers differ");
    }
    stack.stop().await;
}

/// B2, B3: 10,000 levels of nesting, invalid UTF-8, a wrong content type,
/// an empty body and a `payload=` that is not JSON each get a 4xx with the
/// dialect's code, on every dialect's URL, and nothing is posted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_bodies_get_a_clear_4xx_on_every_dialect_and_post_nothing() {
    let stack = TestStack::start().await.unwrap();
    let f = stack.fixture().await.unwrap();
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let deep_object = format!(r#"{{"text":"x","a":{deep}}}"#);
    let invalid_utf8: &[u8] = b"{\"text\":\"\xff\xfe\"}";
    let paths = [
        format!("/hooks/{}", f.token),
        format!("/v1/incoming/{}", f.token),
        format!("/hooks/channels/{}/{}", f.channel_id, f.token),
    ];
    let cases: Vec<(&str, Vec<u8>, u16)> = vec![
        ("application/json", deep_object.clone().into_bytes(), 400),
        ("application/json", deep.into_bytes(), 400),
        ("application/json", invalid_utf8.to_vec(), 400),
        ("application/json", Vec::new(), 400),
        // A dialect reads an unknown type as its own format or refuses it
        // (415); either way a 4xx with a code.
        ("image/png", b"\x89PNG".to_vec(), 0),
    ];
    for path in &paths {
        for (content_type, body, status) in &cases {
            let response = stack
                .http
                .post(stack.ingress_url(path))
                .header("content-type", *content_type)
                .body(body.clone())
                .send()
                .await
                .unwrap();
            let got = response.status().as_u16();
            let text = response.text().await.unwrap();
            assert!(
                got == *status || (*status == 0 && (got == 400 || got == 415)),
                "{path} {content_type} {} bytes: {text}",
                body.len()
            );
            assert!(!text.is_empty(), "an error without a code");
        }
    }
    let form = stack
        .http
        .post(stack.ingress_url(&paths[0]))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("payload=%7Bnot%20json")
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), 400);
    assert_eq!(form.text().await.unwrap(), "invalid_payload");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let posts = stack.posts_of(&f.channel_id).await;
    assert!(posts.is_empty(), "{} posted", posts.len());
    // Ingress is still fine.
    assert_eq!(stack.slack_status(&f.token, r#"{"text":"ok"}"#).await, 200);
    stack.stop().await;
}

/// Headers that never finish are cut off (actix's request timeout), and
/// the connection does not hold a worker: others are served meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headers_that_never_finish_are_cut_off_and_hold_nothing() {
    let stack = TestStack::start().await.unwrap();
    let f = stack.fixture().await.unwrap();
    let mut slow = Vec::new();
    for _ in 0..20 {
        let mut stream = TcpStream::connect(format!("127.0.0.1:{}", stack.ingress_port))
            .await
            .unwrap();
        stream
            .write_all(format!("POST /hooks/{} HTTP/1.1\r\nHost: x\r\n", f.token).as_bytes())
            .await
            .unwrap();
        slow.push(stream);
    }
    // Served while 20 connections sit on unfinished headers.
    assert_eq!(
        stack.slack_status(&f.token, r#"{"text":"served"}"#).await,
        200
    );
    let started = Instant::now();
    for stream in &mut slow {
        let answer = read_answer(stream, Duration::from_secs(15)).await;
        assert!(
            answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
            "{answer}"
        );
    }
    assert!(
        started.elapsed() < Duration::from_secs(12),
        "slow headers kept for {:?}",
        started.elapsed()
    );
    stack.stop().await;
}

/// A NUL character in a stored text field is refused with 400, not 500
/// (PostgreSQL cannot store it in text).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nul_character_in_management_input_is_a_400() {
    let stack = TestStack::start().await.unwrap();
    let f = stack.fixture().await.unwrap();
    let (status, body) = stack
        .api_request(
            reqwest::Method::PATCH,
            &format!("/api/v1/webhooks/{}", f.webhook_id),
            Some(&serde_json::json!({"username": "a\u{0}b"})),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "bad_request", "{body}");
    stack.stop().await;
}

/// The token is checked before the body, path or query: without one the
/// answer is 401 and with a wrong one 403, even when the input is also bad.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_is_judged_before_the_input() {
    let stack = TestStack::start().await.unwrap();
    let f = stack.fixture().await.unwrap();
    let path = format!("/api/v1/webhooks/{}", f.webhook_id);
    for (token, expected) in [(None, 401), (Some("wrong"), 403)] {
        for (method, url, body) in [
            (
                reqwest::Method::PATCH,
                path.clone(),
                "{\"rate_per_minute\": 1.5}",
            ),
            (
                reqwest::Method::POST,
                "/api/v1/teams".to_string(),
                "not json",
            ),
            (
                reqwest::Method::GET,
                "/api/v1/channels/not-a-uuid".to_string(),
                "",
            ),
            (
                reqwest::Method::GET,
                "/api/v1/channels?team_id=x".to_string(),
                "",
            ),
        ] {
            let mut request = stack
                .http
                .request(method.clone(), stack.api_url(&url))
                .header("content-type", "application/json")
                .body(body);
            if let Some(token) = token {
                request = request.bearer_auth(token);
            }
            let status = request.send().await.unwrap().status().as_u16();
            assert_eq!(status, expected, "{method} {url} with {token:?}");
        }
    }
    // The OpenAPI document needs no token.
    let doc = stack
        .http
        .get(stack.api_url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(doc.status(), 200);
    stack.stop().await;
}

/// `Content-Encoding: gzip` (vendors send it) is decompressed on every
/// entry point, within the body limit; a plain body labelled gzip is a
/// clear 400, an encoding we do not take a 415, a bomb a 413. Only the
/// accepted ones are posted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gzip_bodies_are_read_and_other_encodings_get_415() {
    use flate2::Compression;
    use flate2::write::GzEncoder;
    use std::io::Write;
    let gzip = |data: &[u8]| {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
        encoder.write_all(data).unwrap();
        encoder.finish().unwrap()
    };
    let stack = TestStack::start().await.unwrap();
    let f = stack.fixture().await.unwrap();
    let post = |path: String, encoding: &'static str, body: Vec<u8>| {
        let request = stack
            .http
            .post(stack.ingress_url(&path))
            .header("content-type", "application/json")
            .header("content-encoding", encoding)
            .body(body);
        async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            (status, response.text().await.unwrap_or_default())
        }
    };
    let slack = format!("/hooks/{}", f.token);
    let talkspirit = format!("/v1/incoming/{}", f.token);
    let github = format!("/api/v1/external/github?api_key={}", f.token);

    let (status, _) = post(slack.clone(), "gzip", gzip(br#"{"text":"zipped"}"#)).await;
    assert_eq!(status, 200);
    let (status, _) = post(talkspirit, "x-gzip", gzip(br#"{"content":"zipped too"}"#)).await;
    assert_eq!(status, 200);
    let (status, body) = post(slack.clone(), "br", br#"{"text":"x"}"#.to_vec()).await;
    assert_eq!((status, body.as_str()), (415, "unsupported_media_type"));
    let (status, body) = post(github.clone(), "deflate", b"{}".to_vec()).await;
    assert_eq!(status, 415, "{body}");
    let (status, _) = post(slack.clone(), "gzip", br#"{"text":"plain"}"#.to_vec()).await;
    assert_eq!(status, 400);
    // 2 MiB of spaces around a valid payload, in a few kilobytes.
    let mut bomb = br#"{"text":"boom""#.to_vec();
    bomb.extend(vec![b' '; 2 * MIB]);
    bomb.push(b'}');
    let (status, _) = post(slack, "gzip", gzip(&bomb)).await;
    assert_eq!(status, 413);

    let posts = stack
        .wait_for_posts(&f.channel_id, 2, Duration::from_secs(10))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let posts = stack.posts(posts[0].channel_id).await.unwrap();
    let texts: Vec<&str> = posts.iter().map(|p| p.message.as_str()).collect();
    assert_eq!(texts, ["zipped", "zipped too"]);
    stack.stop().await;
}

/// Bodies in flight share one budget (`ingress.body_budget_bytes`): while
/// stalled senders hold it, a request announcing a body larger than what
/// is left gets 503 with Retry-After before its body is read; a small one
/// still fits; once the stalled senders go, the budget is whole again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_bodies_cannot_hold_more_than_the_body_budget() {
    const BODY: usize = 60_000;
    let stack = TestStack::start_with(inlet_testkit::Services::ALL, |s| {
        s.ingress.max_body_bytes = 64 * 1024;
        s.ingress.body_budget_bytes = 3 * 64 * 1024;
        s.ingress.body_timeout_ms = 30_000;
    })
    .await
    .unwrap();
    let f = stack.fixture().await.unwrap();
    let address = format!("127.0.0.1:{}", stack.ingress_port);
    let head = |length: usize| {
        format!(
            "POST /hooks/{} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {length}\r\n\r\n",
            f.token
        )
    };
    let held = || async {
        let metrics = stack.metrics("ingress").await.unwrap();
        metrics
            .lines()
            .find_map(|l| l.strip_prefix("inlet_ingress_body_bytes_held "))
            .and_then(|v| v.trim().parse::<f64>().ok())
            .unwrap_or(-1.0) as usize
    };

    let mut stalled = Vec::new();
    for _ in 0..3 {
        let mut stream = TcpStream::connect(&address).await.unwrap();
        stream.write_all(head(BODY).as_bytes()).await.unwrap();
        stream.write_all(br#"{"text":""#).await.unwrap();
        stalled.push(stream);
    }
    let deadline = Instant::now() + Duration::from_secs(5);
    while held().await < 3 * BODY {
        assert!(
            Instant::now() < deadline,
            "the stalled bodies hold {}",
            held().await
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // Refused at once, before its body is sent.
    let mut refused = TcpStream::connect(&address).await.unwrap();
    refused.write_all(head(BODY).as_bytes()).await.unwrap();
    let answer = read_answer(&mut refused, Duration::from_secs(5)).await;
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(
        answer.to_ascii_lowercase().contains("retry-after: 1"),
        "{answer}"
    );
    // What is left still takes a small body.
    assert_eq!(
        stack.slack_status(&f.token, r#"{"text":"small"}"#).await,
        200
    );

    drop(stalled);
    let deadline = Instant::now() + Duration::from_secs(5);
    while held().await > 0 {
        assert!(Instant::now() < deadline, "the budget is not given back");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let text = "x".repeat(BODY - 20);
    let body = format!(r#"{{"text":"{text}"}}"#);
    assert_eq!(stack.slack_status(&f.token, &body).await, 200);
    let metrics = stack.metrics("ingress").await.unwrap();
    assert!(
        metrics.contains("inlet_ingress_body_budget_refusals_total 1"),
        "{metrics}"
    );
    stack.stop().await;
}

/// Tokens Inlet issues are signed, so a guess is answered 404 without a
/// token lookup, whatever its shape; a token issued before tokens were
/// signed still works; an address that keeps naming unknown tokens gets 429
/// with Retry-After, while signed tokens from it still pass.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_tokens_cost_no_lookup_and_an_address_that_keeps_guessing_gets_429() {
    const LIMIT: usize = 30;
    let mut stack = TestStack::start_with(Services::API, |s| {
        s.ingress.unknown_tokens_per_minute = LIMIT as u32;
    })
    .await
    .unwrap();
    let signed = stack.fixture().await.unwrap();
    assert_eq!(signed.token.len(), 40, "issued tokens carry their MAC");
    // A webhook whose token was issued before tokens were signed.
    let earlier = stack.fixture().await.unwrap();
    let old_token = inlet_core::WebhookToken::generate().unwrap();
    let client = stack.pool.get().await.unwrap();
    client
        .execute(
            "UPDATE webhooks SET token_hash = $2, token_signed = false WHERE id = $1::text::uuid",
            &[&earlier.webhook_id, &old_token.hash().as_bytes()],
        )
        .await
        .unwrap();
    stack.spawn(inlet_testkit::Services::ALL).await.unwrap();

    let checks = |outcome: &'static str| {
        let stack = &stack;
        async move {
            let metrics = stack.metrics("ingress").await.unwrap();
            let prefix = format!("inlet_ingress_token_checks_total{{outcome=\"{outcome}\"}} ");
            metrics
                .lines()
                .find_map(|l| l.strip_prefix(prefix.as_str()))
                .map_or(0, |v| v.trim().parse::<u64>().unwrap())
        }
    };
    let guess = |n: usize| {
        let a = uuid::Uuid::new_v4().simple().to_string();
        let b = uuid::Uuid::new_v4().simple().to_string();
        // Both shapes: an old token's 32 characters, a signed one's 40.
        if n.is_multiple_of(2) {
            a
        } else {
            format!("{a}{b}")[..40].to_string()
        }
    };
    let guess_once = |n| {
        let token = guess(n);
        let stack = &stack;
        async move { stack.slack_status(&token, r#"{"text":"x"}"#).await }
    };
    let mut failures = 0;
    // The key is loaded in the background at start.
    let deadline = Instant::now() + Duration::from_secs(10);
    while checks("screened").await == 0 {
        assert!(Instant::now() < deadline, "guesses are never screened");
        assert_eq!(guess_once(failures).await, 404);
        failures += 1;
    }
    let looked_up = checks("looked_up").await;
    let screened = checks("screened").await;
    for _ in 0..20 {
        assert_eq!(guess_once(failures).await, 404);
        failures += 1;
    }
    assert_eq!(checks("screened").await, screened + 20);
    assert_eq!(
        checks("looked_up").await,
        looked_up,
        "a guess was looked up"
    );
    assert_eq!(
        stack
            .slack_status(old_token.expose(), r#"{"text":"old"}"#)
            .await,
        200
    );
    assert_eq!(
        stack
            .slack_status(&signed.token, r#"{"text":"signed"}"#)
            .await,
        200
    );

    while failures < LIMIT {
        assert_eq!(guess_once(failures).await, 404);
        failures += 1;
    }
    let limited = stack
        .post_slack(&guess(failures), r#"{"text":"x"}"#)
        .await
        .unwrap();
    assert_eq!(limited.status(), 429);
    assert!(limited.headers().contains_key("retry-after"));
    assert_eq!(
        stack
            .slack_status(old_token.expose(), r#"{"text":"old"}"#)
            .await,
        429,
        "an unsigned token from a limited address is not looked up"
    );
    assert_eq!(
        stack
            .slack_status(&signed.token, r#"{"text":"signed"}"#)
            .await,
        200
    );
    stack.stop().await;
}

/// Every management operation of the OpenAPI document, called with bad
/// input (ids that are not UUIDs, a body that is not JSON): a read token
/// gets 403 `forbidden`, never the 400 that an admin token gets, which
/// would tell it how its input was judged.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_token_gets_403_on_every_management_route_before_its_input_is_judged() {
    let stack = TestStack::start_with(Services::API, |s| {
        s.api.read_tokens = vec!["reader-token-123".into()];
    })
    .await
    .unwrap();
    let doc: serde_json::Value = stack.get_json(&stack.api_url("/api/v1/openapi.json")).await;
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let management = operation["tags"]
                .as_array()
                .is_some_and(|tags| tags.iter().any(|t| t == "management"));
            if !management {
                continue;
            }
            let parameters = operation["parameters"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let mut url = path.clone();
            let mut query = Vec::new();
            for parameter in &parameters {
                let name = parameter["name"].as_str().unwrap();
                match parameter["in"].as_str() {
                    Some("path") => url = url.replace(&format!("{{{name}}}"), "not-a-uuid"),
                    Some("query") => query.push(format!("{name}=not-a-uuid")),
                    _ => {}
                }
            }
            if !query.is_empty() {
                url = format!("{url}?{}", query.join("&"));
            }
            let has_input = !parameters.is_empty() || operation["requestBody"].is_object();
            let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let send = |token: &str| {
                stack
                    .http
                    .request(method.clone(), stack.api_url(&url))
                    .bearer_auth(token)
                    .header("content-type", "application/json")
                    .body("not json")
                    .send()
            };
            let reader = send("reader-token-123").await.unwrap();
            assert_eq!(reader.status(), 403, "{method} {url} with a read token");
            let body: serde_json::Value = reader.json().await.unwrap();
            assert_eq!(body["error"], "forbidden", "{method} {url}: {body}");
            let admin = send(&stack.admin_token).await.unwrap().status();
            let expected = if has_input { 400 } else { 200 };
            assert_eq!(admin, expected, "{method} {url} with the admin token");
            checked += 1;
        }
    }
    assert!(checked >= 16, "{checked} management operations");
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_management_body_that_trickles_in_is_cut_off_at_the_body_deadline() {
    let stack = TestStack::start_with(Services::API, |s| s.api.body_timeout_ms = 1_000)
        .await
        .unwrap();
    let auth = format!("Authorization: Bearer {}\r\n", stack.admin_token);
    let body = br#"{"name":"slow-team"}"#;
    let answer = post_trickling(stack.api_port, "/api/v1/teams", &auth, body).await;
    assert!(answer.contains("request_timeout"), "{answer}");
    let teams = stack.api_get_text("/api/v1/teams").await.unwrap();
    assert!(!teams.contains("slow-team"), "{teams}");
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_management_body_over_the_limit_gets_413_announced_or_chunked() {
    let stack = TestStack::start_with(Services::API, |_| {}).await.unwrap();
    let limit = stack.settings.api.max_body_bytes;
    let address = format!("127.0.0.1:{}", stack.api_port);
    let head = |framing: String| {
        format!(
            "POST /api/v1/teams HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\n{framing}\r\n\r\n",
            stack.admin_token
        )
    };

    // Announced: refused on the header alone, before a byte of the body.
    let mut stream = TcpStream::connect(&address).await.unwrap();
    let announced = head(format!("Content-Length: {}", limit + 1));
    stream.write_all(announced.as_bytes()).await.unwrap();
    let answer = read_answer(&mut stream, Duration::from_secs(5)).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("payload_too_large"), "{answer}");

    // Chunked: refused once the limit is passed, a JSON body that would
    // otherwise be a valid team.
    let mut stream = TcpStream::connect(&address).await.unwrap();
    stream
        .write_all(head("Transfer-Encoding: chunked".into()).as_bytes())
        .await
        .unwrap();
    let json = format!(
        r#"{{"name":"big-team","display_name":"{}"}}"#,
        "x".repeat(limit)
    );
    for chunk in json.as_bytes().chunks(8 * 1024) {
        let frame = format!("{:x}\r\n", chunk.len());
        let wrote = async {
            stream.write_all(frame.as_bytes()).await?;
            stream.write_all(chunk).await?;
            stream.write_all(b"\r\n").await
        };
        if wrote.await.is_err() {
            break; // the server answered and closed
        }
    }
    let _ = stream.write_all(b"0\r\n\r\n").await;
    let answer = read_answer(&mut stream, Duration::from_secs(5)).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");

    // Nothing was made.
    let teams = stack.api_get_text("/api/v1/teams").await.unwrap();
    assert!(!teams.contains("big-team"), "{teams}");
    stack.stop().await;
}
