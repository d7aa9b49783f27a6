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
use std::sync::Arc;
use std::sync::atomic::AtomicU16;
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
    let port = Arc::new(AtomicU16::new(stack.ingress_port));
    let senders = Senders::start(stack.http.clone(), port, &f.token, 4);
    senders
        .wait_for_progress(100, Duration::from_secs(30))
        .await;

    let accepted_before = senders.accepted_so_far();
    let lost_at = Instant::now();
    ctl(|| primary.kill());
    ctl(|| standby.promote());
    senders
        .wait_for_progress(100, Duration::from_secs(45))
        .await;
    let channel: uuid::Uuid = f.channel_id.parse().unwrap();
    let deadline = Instant::now() + Duration::from_secs(45);
    while stack.posts(channel).await.unwrap().len() < accepted_before + 100 {
        assert!(
            Instant::now() < deadline,
            "posts stopped after the failover"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    eprintln!(
        "messages accepted after the failover posted within {:?}",
        lost_at.elapsed()
    );
    let accepted = senders.finish().await;
    assert_exactly(&stack, &f.channel_id, &accepted).await;
    stack.stop().await;
    drop(database);
}
