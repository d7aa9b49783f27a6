//! PostgreSQL failover (reliability.md, promise 2; operations.md,
//! "PostgreSQL failover"): a private primary with a streaming standby,
//! `database.url` naming both hosts with `target_session_attrs=read-write`.
//! The primary is killed under a steady stream and the standby promoted;
//! the services find the new primary without a restart.
//!
//! With synchronous replication nothing committed is lost: the oracle holds
//! (exactly the 2xx messages, once each, in order, seq gap-free). Without it,
//! what the standby had not received when the primary died is gone: the
//! second test shows which commits those are.

use inlet_testkit::database::TestDatabase;
use inlet_testkit::oracle::{Senders, assert_exactly};
use inlet_testkit::servers::PrivatePostgres;
use inlet_testkit::{Services, TestStack};
use std::time::Duration;
use tokio::time::Instant;

/// Runs a blocking server call without stalling the runtime thread the
/// services and senders need meanwhile.
fn ctl<T>(call: impl FnOnce() -> anyhow::Result<T>) -> T {
    tokio::task::block_in_place(call).unwrap()
}

/// `postgres://…` naming both servers, primary first, for `database`.
fn failover_url(primary: &PrivatePostgres, standby: &PrivatePostgres, database: &str) -> String {
    format!(
        "postgres://postgres@127.0.0.1:{},127.0.0.1:{}/{database}?target_session_attrs=read-write",
        primary.port, standby.port
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_primary_killed_and_its_synchronous_standby_promoted_loses_and_doubles_nothing() {
    let primary = ctl(PrivatePostgres::start);
    let database = TestDatabase::create_on(&primary.admin_url()).await.unwrap();
    let standby = ctl(|| PrivatePostgres::start_standby_of(&primary));
    ctl(|| primary.require_synchronous_standby());
    let url = failover_url(&primary, &standby, &database.name);
    let stack = TestStack::start_with(Services::ALL, |s| s.database.url = url)
        .await
        .unwrap();
    let f = stack.fixture().await.unwrap();
    let senders = Senders::streaming(&stack, &f.token, 4).await;

    let fault = senders.fault();
    ctl(|| primary.kill());
    ctl(|| standby.promote());
    let recovered_in = senders
        .wait_for_recovery(&stack, &f.channel_id, &fault, "the failover")
        .await;
    eprintln!("messages accepted after the failover posted within {recovered_in:?}");
    let accepted = senders.finish().await;
    assert_exactly(&stack, &f.channel_id, &accepted).await;
    stack.stop().await;
    drop(database);
}

/// The channel's posts as (seq, message), in seq order.
async fn posts_of(stack: &TestStack, channel: uuid::Uuid) -> Vec<(i64, String)> {
    let posts = stack.posts(channel).await.unwrap();
    posts.into_iter().map(|p| (p.seq, p.message)).collect()
}

/// What asynchronous replication loses, shown deterministically: the
/// standby is stopped (it receives nothing more) while the stream goes on,
/// then the primary dies and the standby is started and promoted. The
/// posts committed while it was away are gone for good (delivery had
/// acknowledged them to the broker after their commit); what it had
/// survives; the channel goes on from the standby's counter, so its seq
/// stays gap-free with the lost numbers given again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_synchronous_replication_a_failover_loses_what_the_standby_had_not_received() {
    let primary = ctl(PrivatePostgres::start);
    let database = TestDatabase::create_on(&primary.admin_url()).await.unwrap();
    let standby = ctl(|| PrivatePostgres::start_standby_of(&primary));
    let url = failover_url(&primary, &standby, &database.name);
    let stack = TestStack::start_with(Services::ALL, |s| s.database.url = url)
        .await
        .unwrap();
    let f = stack.fixture().await.unwrap();
    let channel: uuid::Uuid = f.channel_id.parse().unwrap();
    let senders = Senders::start_on(&stack, &f.token, 2);
    senders.wait_for_progress(50, Duration::from_secs(30)).await;

    // Posts the standby surely has: those committed before a WAL position
    // it has replayed.
    let kept = posts_of(&stack, channel).await;
    let position = ctl(|| primary.sql("SELECT pg_current_wal_lsn()"));
    let deadline = Instant::now() + Duration::from_secs(30);
    let replayed = format!("SELECT pg_last_wal_replay_lsn() >= '{position}'::pg_lsn");
    while ctl(|| standby.sql(&replayed)) != "t" {
        assert!(
            Instant::now() < deadline,
            "the standby never replayed {position}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    ctl(|| standby.stop());
    senders.wait_for_progress(50, Duration::from_secs(30)).await;
    // Committed on the primary only: wait until some are stored.
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut committed = posts_of(&stack, channel).await;
    while committed.len() < kept.len() + 20 {
        assert!(
            Instant::now() < deadline,
            "nothing stored with the standby away"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
        committed = posts_of(&stack, channel).await;
    }
    ctl(|| primary.kill());
    ctl(|| standby.start_again());
    ctl(|| standby.promote());
    senders.wait_for_progress(50, Duration::from_secs(45)).await;
    let accepted = senders.finish().await;
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut after = posts_of(&stack, channel).await;
    loop {
        let last = accepted.last().unwrap();
        if after.iter().any(|(_, m)| m == last) {
            break;
        }
        assert!(Instant::now() < deadline, "the last message never arrived");
        tokio::time::sleep(Duration::from_millis(100)).await;
        after = posts_of(&stack, channel).await;
    }

    let messages: std::collections::HashSet<&String> = after.iter().map(|(_, m)| m).collect();
    for (_, message) in &kept {
        assert!(
            messages.contains(message),
            "{message}, on the standby, was lost"
        );
    }
    let lost: Vec<&String> = committed[kept.len()..]
        .iter()
        .map(|(_, m)| m)
        .filter(|m| !messages.contains(m))
        .collect();
    assert!(
        !lost.is_empty(),
        "nothing committed while the standby was away was lost: the test proved nothing"
    );
    let seqs: Vec<i64> = after.iter().map(|(seq, _)| *seq).collect();
    assert_eq!(
        seqs,
        (1..=after.len() as i64).collect::<Vec<_>>(),
        "seq is not gap-free after the failover"
    );
    eprintln!(
        "{} of {} posts committed while the standby was away were lost",
        lost.len(),
        committed.len() - kept.len()
    );
    stack.stop().await;
    drop(database);
}
