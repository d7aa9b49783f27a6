//! A three-node RabbitMQ cluster (reliability.md, promise 2) started by the
//! testkit on private ports and node names: one node stopped, killed, or
//! cut off from the others by the network, under a steady stream, on the
//! node that holds service connections. The services move to the other
//! nodes without a restart, the quorum queues elect new leaders, and the
//! oracle holds: exactly the 2xx messages, once each, in order, seq
//! gap-free.

use inlet_testkit::oracle::{Senders, assert_exactly};
use inlet_testkit::servers::PrivateRabbitCluster;
use inlet_testkit::{Services, TestStack};
use std::collections::BTreeSet;
use std::time::Duration;
use tokio::time::Instant;

/// How a node is lost.
#[derive(Clone, Copy, Debug)]
enum Loss {
    /// `rabbitmqctl stop`: the node leaves cleanly.
    Stop,
    /// SIGKILL: the node crashes.
    Kill,
    /// Cut off from the other nodes while its clients still reach it, then
    /// healed under the same load. It sees no majority and pauses itself
    /// (`cluster_partition_handling = pause_minority`), closing its client
    /// connections; once healed it starts again and rejoins.
    Partition,
}

/// Runs a blocking `rabbitmqctl` call without stalling the runtime thread
/// the services and senders need meanwhile.
fn ctl<T>(call: impl FnOnce() -> anyhow::Result<T>) -> T {
    tokio::task::block_in_place(call).unwrap()
}

async fn eventually_ready(stack: &TestStack, service: &str) {
    let port = stack.ops_ports[service];
    stack
        .wait_ready(port, Duration::from_secs(30))
        .await
        .unwrap_or_else(|error| panic!("{service}: {error}"));
}

/// The connections every accepted message goes through: ingress's
/// publisher, the formatter's consumer and publisher, delivery's consumer.
const PIPELINE: [&str; 4] = [
    "inlet-ingress",
    "inlet-formatter",
    "inlet-formatter-publish",
    "inlet-delivery",
];

fn pipeline_connections(names: &[String]) -> usize {
    names
        .iter()
        .filter(|name| PIPELINE.contains(&name.as_str()))
        .count()
}

/// The node holding the most pipeline connections (then the most service
/// connections), and the names of its connections: losing a node that
/// holds only idle ones (the API's publisher, the dead-letter archiver)
/// would prove little.
fn busiest_node(cluster: &PrivateRabbitCluster) -> (usize, Vec<String>) {
    cluster
        .nodes
        .iter()
        .map(|node| ctl(|| node.connection_names()))
        .enumerate()
        .max_by_key(|(_, names)| (pipeline_connections(names), names.len()))
        .unwrap_or_default()
}

/// Every service connection name on the nodes other than `lost`.
fn names_elsewhere(cluster: &PrivateRabbitCluster, lost: usize) -> BTreeSet<String> {
    cluster
        .nodes
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != lost)
        .flat_map(|(_, node)| ctl(|| node.connection_names()))
        .collect()
}

/// Four senders stream through the whole stack on the cluster; the node
/// holding the most service connections is lost; the stream goes on, every
/// connection that was on it comes back on another node, and the oracle
/// holds. Prints how long the pipeline took to carry messages accepted
/// after the loss end to end (operations.md, "Recovery times").
async fn one_node_lost_under_load(loss: Loss) {
    // The services' logs on the test's output with `RUST_LOG` set (e.g.
    // `RUST_LOG=warn,inlet_bus=debug`): what a failure needs to be read.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
    let cluster = tokio::task::block_in_place(|| PrivateRabbitCluster::start(3)).unwrap();
    let url = cluster.url();
    let stack = TestStack::start_with(Services::ALL, |s| s.amqp.url = url)
        .await
        .unwrap();
    let f = stack.fixture().await.unwrap();
    let senders = Senders::streaming(&stack, &f.token, 4).await;

    let (lost, names) = busiest_node(&cluster);
    assert!(
        pipeline_connections(&names) > 0,
        "no pipeline connection on any node ({names:?}): nothing to prove"
    );
    // The queue probe connects only when scraped; the others stay connected.
    let on_lost: BTreeSet<String> = names
        .into_iter()
        .filter(|n| n.starts_with("inlet-") && n != "inlet-queue-probe")
        .collect();
    eprintln!("{loss:?}: losing the node holding {on_lost:?}");
    let fault = senders.fault();
    match loss {
        Loss::Stop => ctl(|| cluster.nodes[lost].stop()),
        Loss::Kill => ctl(|| cluster.nodes[lost].kill()),
        Loss::Partition => ctl(|| cluster.partition(lost)),
    }
    // Accepted after the loss, and posted: ingress publishes and the
    // formatter and delivery consume on the two nodes left.
    let recovered_in = senders
        .wait_for_recovery(&stack, &f.channel_id, &fault, "the loss")
        .await;
    eprintln!("{loss:?}: messages accepted after the loss posted within {recovered_in:?}");

    for service in ["ingress", "formatter", "delivery", "api"] {
        eventually_ready(&stack, service).await;
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let elsewhere = names_elsewhere(&cluster, lost);
        let missing: Vec<&String> = on_lost.difference(&elsewhere).collect();
        if missing.is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{missing:?} never reconnected to another node"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    if let Loss::Partition = loss {
        heal_under_load(&cluster, lost, &stack, &senders, &f.channel_id).await;
    }
    let accepted = senders.finish().await;
    assert_exactly(&stack, &f.channel_id, &accepted).await;
    stack.stop().await;
}

/// Heals the partition of node `cut` while the senders stream, and waits
/// until messages accepted after the heal are posted: the node back in the
/// cluster disturbs nothing.
async fn heal_under_load(
    cluster: &PrivateRabbitCluster,
    cut: usize,
    stack: &TestStack,
    senders: &Senders,
    channel_id: &str,
) {
    let heal = senders.fault();
    let healed_at = Instant::now();
    ctl(|| cluster.heal(cut));
    eprintln!(
        "Partition: the cut-off node ran in the cluster again {:?} after the heal",
        healed_at.elapsed()
    );
    senders
        .wait_for_recovery(stack, channel_id, &heal, "the heal")
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "slow (a three-node cluster, 45 to 90 s): scripts/test --faults"]
async fn a_cluster_node_stopped_under_load_loses_and_doubles_nothing() {
    one_node_lost_under_load(Loss::Stop).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "slow (a three-node cluster, 45 to 90 s): scripts/test --faults"]
async fn a_cluster_node_killed_under_load_loses_and_doubles_nothing() {
    one_node_lost_under_load(Loss::Kill).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "slow (a three-node cluster, 60 to 120 s): scripts/test --faults"]
async fn a_cluster_node_cut_off_under_load_loses_and_doubles_nothing() {
    one_node_lost_under_load(Loss::Partition).await;
}
