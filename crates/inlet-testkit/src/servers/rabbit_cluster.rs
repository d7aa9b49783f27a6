//! A private RabbitMQ cluster of [`PrivateRabbit`] nodes, and the fault only
//! a cluster has: one node cut off from the others by the network, then
//! healed.

use super::PrivateRabbit;
use anyhow::{Context, bail, ensure};

/// How every node of a private cluster handles a network partition, as
/// `deploy/rabbitmq/rabbitmq.conf` ships it: a node that sees no majority
/// of the cluster pauses itself, closing its client connections (which
/// then move to the majority), until it sees a majority again.
pub const PARTITION_HANDLING: &str = "cluster_partition_handling = pause_minority";

/// The Erlang cookie a cut-off node asks of its peers and offers them: not
/// the cluster's, so every connection between them fails its handshake.
const CUT_OFF_COOKIE: &str = "inlet-cut-off";

/// A private RabbitMQ cluster: nodes of their own (names, AMQP and
/// distribution ports, data), joined with `rabbitmqctl join_cluster`. Any
/// node may be stopped, killed and started again (it rejoins with its
/// data), or cut off from the others and healed.
pub struct PrivateRabbitCluster {
    pub nodes: Vec<PrivateRabbit>,
}

impl PrivateRabbitCluster {
    /// Starts `size` nodes side by side (each takes seconds) and joins them
    /// to the first; returns once every node runs in the cluster.
    pub fn start(size: usize) -> anyhow::Result<Self> {
        ensure!(size >= 1, "a cluster has at least one node");
        let config = format!("{PARTITION_HANDLING}\n");
        let nodes = (0..size)
            .map(|_| PrivateRabbit::prepare(&config))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let cluster = Self { nodes };
        std::thread::scope(|scope| {
            let starts: Vec<_> = cluster
                .nodes
                .iter()
                .map(|node| scope.spawn(|| node.start_again()))
                .collect();
            starts
                .into_iter()
                .try_for_each(|start| start.join().unwrap_or_else(|_| bail!("start panicked")))
        })?;
        let first = cluster.nodes[0].node.clone();
        for node in &cluster.nodes[1..] {
            node.ctl(&["stop_app"])?;
            node.ctl(&["join_cluster", &first])?;
            node.ctl(&["start_app"])?;
        }
        cluster.await_online(&cluster.nodes[0])?;
        Ok(cluster)
    }

    /// Every node's URL, separated by commas (`amqp.url` of a cluster).
    pub fn url(&self) -> String {
        self.nodes
            .iter()
            .map(PrivateRabbit::url)
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Cuts node `index` off from the other nodes, as a network partition
    /// does, while its clients still reach it: its distribution connections
    /// to them are closed, and with a cookie for each of them that is not
    /// theirs every attempt to reconnect, from either side, fails. Needs no
    /// root and no packet filter; the node's own cookie is kept, so
    /// `rabbitmqctl` still reaches it. Returns once no peer is connected.
    pub fn partition(&self, index: usize) -> anyhow::Result<()> {
        let (cut, peers) = self.cut_and_peers(index)?;
        let connected = cut.eval(&format!(
            "Peers = {peers}, \
             [erlang:set_cookie(P, '{CUT_OFF_COOKIE}') || P <- Peers], \
             [erlang:disconnect_node(P) || P <- Peers], \
             [P || P <- Peers, lists:member(P, nodes())]."
        ))?;
        ensure!(
            connected == "[]",
            "{} still connected to {connected} after the cut",
            cut.node
        );
        Ok(())
    }

    /// Heals the partition of node `index`: its peers' cookie is theirs
    /// again and it reconnects to them. Returns once the node runs (a node
    /// that paused itself starts again on its own when it sees a majority)
    /// and every node is back in the cluster.
    pub fn heal(&self, index: usize) -> anyhow::Result<()> {
        let (cut, peers) = self.cut_and_peers(index)?;
        let pongs = cut.eval(&format!(
            "Peers = {peers}, Cookie = erlang:get_cookie(), \
             [erlang:set_cookie(P, Cookie) || P <- Peers], \
             [net_adm:ping(P) || P <- Peers]."
        ))?;
        ensure!(
            !pongs.contains("pang"),
            "{} cannot reach its peers after the heal: {pongs}",
            cut.node
        );
        cut.ctl(&["await_startup", "--timeout", "120"])?;
        self.await_online(cut)
    }

    /// Node `index`, and the Erlang list of the other nodes' names.
    fn cut_and_peers(&self, index: usize) -> anyhow::Result<(&PrivateRabbit, String)> {
        let cut = self
            .nodes
            .get(index)
            .with_context(|| format!("no node {index} in a cluster of {}", self.nodes.len()))?;
        let peers: Vec<String> = self
            .nodes
            .iter()
            .filter(|node| node.node != cut.node)
            .map(|node| format!("'{}'", node.node))
            .collect();
        Ok((cut, format!("[{}]", peers.join(", "))))
    }

    /// Waits until `node` sees every node of the cluster running.
    fn await_online(&self, node: &PrivateRabbit) -> anyhow::Result<()> {
        let size = self.nodes.len().to_string();
        node.ctl(&["await_online_nodes", &size, "--timeout", "120"])
    }
}
