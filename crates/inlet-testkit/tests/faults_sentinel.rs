//! Redis behind Sentinel (operations.md, "Redis"): a private primary, one
//! replica and three sentinels; the services are given the sentinels, not
//! the primary. The primary is killed under a steady stream; once the
//! sentinels have promoted the replica, idempotency, rate limits, live
//! publishing and cache invalidation work on the new primary without a
//! restart, and the outbox republishes what was stored meanwhile.

use inlet_testkit::oracle::{Senders, assert_exactly};
use inlet_testkit::servers::{PrivateRedis, PrivateSentinels};
use inlet_testkit::{Services, TestStack};
use std::time::Duration;
use tokio::time::Instant;

/// Runs a blocking server call without stalling the runtime thread the
/// services and senders need meanwhile.
fn ctl<T>(call: impl FnOnce() -> anyhow::Result<T>) -> T {
    tokio::task::block_in_place(call).unwrap()
}

/// Keys matching `pattern` on the Redis at `port`.
async fn keys_on(port: u16, pattern: &str) -> Vec<String> {
    let client = redis::Client::open(format!("redis://127.0.0.1:{port}/")).unwrap();
    let mut connection = client.get_multiplexed_async_connection().await.unwrap();
    redis::cmd("KEYS")
        .arg(pattern)
        .query_async(&mut connection)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_primary_killed_and_failed_over_by_sentinel_is_followed_without_a_restart() {
    let mut primary = ctl(PrivateRedis::start);
    let replica = ctl(|| PrivateRedis::start_replica_of(&primary));
    let sentinels = ctl(|| PrivateSentinels::start(3, "inlet-test", &primary));
    let addresses = sentinels.addresses();
    let stack = TestStack::start_with(Services::ALL, |s| {
        // Only the password and database of the URL count: its host is
        // never dialled.
        s.redis.url = "redis://127.0.0.1:1/".into();
        s.redis.sentinels = addresses;
        s.redis.sentinel_master = "inlet-test".into();
        s.ingress.rate_per_minute = 1_000_000;
        // Only an invalidation, not the cache's age, refreshes a token.
        s.ingress.token_cache_ttl_ms = 600_000;
    })
    .await
    .unwrap();
    let prefix = stack.settings.redis.prefix.clone();
    let f = stack.fixture().await.unwrap();
    let senders = Senders::start_on(&stack, &f.token, 4);
    senders.wait_for_progress(50, Duration::from_secs(30)).await;
    assert!(
        !keys_on(primary.port, &format!("{prefix}idem:*"))
            .await
            .is_empty(),
        "the services did not reach the primary the sentinels name"
    );

    let accepted_before_failover = senders.accepted_so_far();
    let failed_at = Instant::now();
    primary.stop();
    let deadline = Instant::now() + Duration::from_secs(30);
    while ctl(|| sentinels.primary_port()) != replica.port {
        assert!(Instant::now() < deadline, "the sentinels did not fail over");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    eprintln!(
        "sentinels promoted the replica after {:?}",
        failed_at.elapsed()
    );
    // Accepted after the failover.
    senders.wait_for_progress(50, Duration::from_secs(45)).await;
    let accepted = senders.finish().await;
    assert_exactly(&stack, &f.channel_id, &accepted).await;
    // The claims of messages sent after the failover are on the new
    // primary: idempotency did not merely fail open.
    let claims = keys_on(replica.port, &format!("{prefix}idem:{}:*", f.webhook_id)).await;
    assert!(
        claims.len() > accepted_before_failover,
        "{} claims on the new primary for {} messages accepted before the failover",
        claims.len(),
        accepted_before_failover
    );

    // Live publishing resumed on the new primary: every stored post is
    // published (the outbox relay republishes what failed meanwhile).
    let channel: uuid::Uuid = f.channel_id.parse().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let client = stack.pool.get().await.unwrap();
        let published: i64 = client
            .query_one(
                "SELECT published_seq FROM channels WHERE id = $1",
                &[&channel],
            )
            .await
            .unwrap()
            .get(0);
        if published == accepted.len() as i64 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "published {published} of {} after the failover",
            accepted.len()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // Cache invalidation reaches ingress through the new primary, and the
    // rate limiter works on it: a limit set on the webhook is enforced at
    // once (the token cache would keep the old one for ten minutes, and a
    // limiter without Redis fails open).
    stack
        .patch_webhook(&f.webhook_id, serde_json::json!({"rate_per_minute": 1}))
        .await;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let answer = inlet_testkit::oracle::send(
            &stack.http,
            stack.ingress_port,
            &f.token,
            "after the change",
            None,
        )
        .await;
        if answer.as_ref().is_some_and(|a| a.status == 429) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "ingress never applied the new limit: {answer:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    stack.stop().await;
}
