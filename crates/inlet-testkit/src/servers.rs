//! Private PostgreSQL, Redis and RabbitMQ instances for fault tests: each on
//! a free port with its own data directory, free to be stopped, killed and
//! started again, and always cleaned up (stopped and deleted) when dropped,
//! whether the test passed or panicked. The machine's shared servers, which
//! other tests use at the same time, are never touched.
//!
//! Tests run as root; PostgreSQL refuses to and RabbitMQ switches user, so
//! their directories belong to the service users and PostgreSQL's commands
//! run through `runuser`.

use anyhow::{Context, bail};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

mod rabbit_cluster;
pub use rabbit_cluster::{PARTITION_HANDLING, PrivateRabbitCluster};

/// A port nothing listens on right now.
pub fn free_port() -> anyhow::Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

/// A fresh directory under the system's temporary directory.
fn fresh_dir(kind: &str) -> anyhow::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("inlet-{kind}-{}", crate::unique_tag()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

fn run(command: &mut Command) -> anyhow::Result<()> {
    let output = command
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("running {command:?}"))?;
    if !output.status.success() {
        bail!(
            "{command:?} failed: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(())
}

fn chown(path: &Path, owner: &str) -> anyhow::Result<()> {
    run(Command::new("chown").arg("-R").arg(owner).arg(path))
}

/// Waits until something accepts connections on `port`.
fn wait_listening(port: u16, timeout: Duration) -> anyhow::Result<()> {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    bail!("nothing listens on port {port} after {timeout:?}")
}

/// SIGKILLs the process `pid`, which listens on `port`, and waits until
/// the port is released (a server's children notice and exit too).
fn kill_listening(pid: &str, port: u16, server: &str) -> anyhow::Result<()> {
    run(Command::new("kill").args(["-9", pid]))?;
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
        if Instant::now() > deadline {
            bail!("{server} still listens after SIGKILL");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(())
}

// ---------------------------------------------------------------- PostgreSQL

/// A private PostgreSQL cluster (`initdb` + `pg_ctl`).
pub struct PrivatePostgres {
    pub port: u16,
    dir: PathBuf,
    bin: PathBuf,
}

fn postgres_bin() -> anyhow::Result<PathBuf> {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .context("PostgreSQL server binaries (/usr/lib/postgresql) not found")?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|p| p.join("pg_ctl").exists())
        .collect();
    versions.sort();
    versions
        .pop()
        .context("no pg_ctl under /usr/lib/postgresql/*/bin")
}

impl PrivatePostgres {
    pub fn start() -> anyhow::Result<Self> {
        let bin = postgres_bin()?;
        let initdb = bin.join("initdb");
        Self::create(bin, |command, data| {
            command.arg(initdb).arg("-D").arg(data).args([
                "-A",
                "trust",
                "-U",
                "postgres",
                "--no-sync",
            ]);
        })
    }

    /// A cluster in a fresh directory, its `data` made by the command `make`
    /// completes (run as `postgres`), started on a free port.
    fn create(bin: PathBuf, make: impl FnOnce(&mut Command, &Path)) -> anyhow::Result<Self> {
        let dir = fresh_dir("pg")?;
        chown(&dir, "postgres")?;
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]);
        make(&mut command, &dir.join("data"));
        run(&mut command)?;
        let server = Self {
            port: free_port()?,
            dir,
            bin,
        };
        server.start_again()?;
        Ok(server)
    }

    /// `postgres://…/postgres` on this cluster.
    pub fn admin_url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    fn pg_ctl(&self) -> Command {
        let mut command = Command::new("runuser");
        command
            .args(["-u", "postgres", "--"])
            .arg(self.bin.join("pg_ctl"))
            .arg("-D")
            .arg(self.dir.join("data"));
        command
    }

    /// Starts the (stopped or killed) cluster on its port and waits for it.
    pub fn start_again(&self) -> anyhow::Result<()> {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port,
            self.dir.display()
        );
        run(self
            .pg_ctl()
            .arg("-l")
            .arg(self.dir.join("log"))
            .args(["-w", "-t", "30", "start", "-o"])
            .arg(options))
    }

    /// A clean, fast shutdown (connections are closed).
    pub fn stop(&self) -> anyhow::Result<()> {
        run(self.pg_ctl().args(["-m", "fast", "-w", "stop"]))
    }

    /// A streaming standby of `primary` on a port of its own: a base backup
    /// (`pg_basebackup -R`, so it follows the primary's WAL), started and
    /// read-only until [`Self::promote`].
    pub fn start_standby_of(primary: &PrivatePostgres) -> anyhow::Result<Self> {
        let basebackup = primary.bin.join("pg_basebackup");
        let primary_port = primary.port.to_string();
        Self::create(primary.bin.clone(), |command, data| {
            command
                .arg(basebackup)
                .args(["-h", "127.0.0.1", "-U", "postgres", "-p"])
                .arg(primary_port)
                .arg("-D")
                .arg(data)
                .args(["-R", "-X", "stream", "-c", "fast", "--no-sync"]);
        })
    }

    /// Runs one SQL statement as `postgres` on this server (`psql`).
    pub fn sql(&self, statement: &str) -> anyhow::Result<String> {
        let output = Command::new(self.bin.join("psql"))
            .args(["-h", "127.0.0.1", "-U", "postgres", "-d", "postgres"])
            .args(["-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-p"])
            .arg(self.port.to_string())
            .arg("-c")
            .arg(statement)
            .stdin(Stdio::null())
            .output()
            .context("running psql")?;
        if !output.status.success() {
            bail!(
                "{statement}: {}",
                String::from_utf8_lossy(&output.stderr).trim()
            );
        }
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_string())
    }

    /// Makes every commit on this primary wait until a standby has it
    /// (`synchronous_standby_names = '*'`, `synchronous_commit = on`), and
    /// waits until a standby is attached as synchronous.
    pub fn require_synchronous_standby(&self) -> anyhow::Result<()> {
        self.sql("ALTER SYSTEM SET synchronous_standby_names = '*'")?;
        self.sql("SELECT pg_reload_conf()")?;
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let state = self.sql("SELECT string_agg(sync_state, ',') FROM pg_stat_replication")?;
            if state.split(',').any(|s| s == "sync") {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!("no synchronous standby after 30 s (replication: {state:?})");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Promotes this standby to a primary and waits until it takes writes.
    pub fn promote(&self) -> anyhow::Result<()> {
        run(self.pg_ctl().args(["-w", "-t", "30", "promote"]))
    }

    /// SIGKILL to the postmaster: a crash.
    pub fn kill(&self) -> anyhow::Result<()> {
        let pid_file = self.dir.join("data/postmaster.pid");
        let text = std::fs::read_to_string(&pid_file)?;
        let pid = text.lines().next().unwrap_or_default().trim().to_string();
        kill_listening(&pid, self.port, "PostgreSQL")
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        let _ = self
            .pg_ctl()
            .args(["-m", "immediate", "-w", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

// --------------------------------------------------------------------- Redis

/// A private `redis-server`, a child process (nothing kept on disk).
pub struct PrivateRedis {
    pub port: u16,
    dir: PathBuf,
    child: Option<Child>,
    /// Arguments beyond the port and the directory (e.g. `--replicaof`).
    extra: Vec<String>,
}

impl PrivateRedis {
    pub fn start() -> anyhow::Result<Self> {
        Self::start_with(Vec::new())
    }

    /// A replica of `primary` (`--replicaof`), following it from the start.
    pub fn start_replica_of(primary: &PrivateRedis) -> anyhow::Result<Self> {
        Self::start_with(vec![
            "--replicaof".into(),
            "127.0.0.1".into(),
            primary.port.to_string(),
        ])
    }

    fn start_with(extra: Vec<String>) -> anyhow::Result<Self> {
        let mut server = Self {
            port: free_port()?,
            dir: fresh_dir("redis")?,
            child: None,
            extra,
        };
        server.start_again()?;
        Ok(server)
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    pub fn start_again(&mut self) -> anyhow::Result<()> {
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no", "--daemonize", "no"])
            .arg("--dir")
            .arg(&self.dir)
            .args(&self.extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("starting redis-server")?;
        self.child = Some(child);
        wait_listening(self.port, Duration::from_secs(10))
    }

    /// Kills the server (an outage; Redis keeps nothing anyway).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Redis Sentinel processes (`redis-server --sentinel`) watching one
/// primary under one name, with a quorum of a majority of them: a primary
/// that stops answering for a second is failed over to a replica.
pub struct PrivateSentinels {
    pub ports: Vec<u16>,
    pub master_name: String,
    dir: PathBuf,
    children: Vec<Child>,
}

impl PrivateSentinels {
    pub fn start(count: usize, master_name: &str, primary: &PrivateRedis) -> anyhow::Result<Self> {
        let dir = fresh_dir("sentinel")?;
        let mut sentinels = Self {
            ports: Vec::new(),
            master_name: master_name.to_string(),
            dir,
            children: Vec::new(),
        };
        for i in 0..count {
            let port = free_port()?;
            // Sentinel rewrites its configuration file: one each.
            let config = sentinels.dir.join(format!("sentinel-{i}.conf"));
            let quorum = count / 2 + 1;
            std::fs::write(
                &config,
                format!(
                    "port {port}\nbind 127.0.0.1\ndir {dir}\n\
                     sentinel monitor {master_name} 127.0.0.1 {primary} {quorum}\n\
                     sentinel down-after-milliseconds {master_name} 1000\n\
                     sentinel failover-timeout {master_name} 5000\n\
                     sentinel parallel-syncs {master_name} 1\n",
                    dir = sentinels.dir.display(),
                    primary = primary.port,
                ),
            )?;
            let child = Command::new("redis-server")
                .arg(&config)
                .arg("--sentinel")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .context("starting redis-server --sentinel")?;
            sentinels.children.push(child);
            sentinels.ports.push(port);
            wait_listening(port, Duration::from_secs(10))?;
        }
        Ok(sentinels)
    }

    /// `host:port` of each sentinel, as `redis.sentinels` takes them.
    pub fn addresses(&self) -> Vec<String> {
        self.ports
            .iter()
            .map(|p| format!("127.0.0.1:{p}"))
            .collect()
    }

    /// The port of the primary the first sentinel names now.
    pub fn primary_port(&self) -> anyhow::Result<u16> {
        let output = Command::new("redis-cli")
            .args(["-h", "127.0.0.1", "-p", &self.ports[0].to_string()])
            .args(["SENTINEL", "get-master-addr-by-name", &self.master_name])
            .stdin(Stdio::null())
            .output()
            .context("running redis-cli")?;
        let text = String::from_utf8_lossy(&output.stdout);
        text.lines()
            .nth(1)
            .and_then(|port| port.trim().parse().ok())
            .with_context(|| format!("no primary named by the sentinel: {text:?}"))
    }
}

impl Drop for PrivateSentinels {
    fn drop(&mut self) {
        for child in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

// ------------------------------------------------------------------ RabbitMQ

/// A private RabbitMQ node: its own node name, ports, data and config, so
/// nothing of the machine's node is read or touched.
pub struct PrivateRabbit {
    pub port: u16,
    node: String,
    dir: PathBuf,
    dist_port: u16,
}

impl PrivateRabbit {
    pub fn start() -> anyhow::Result<Self> {
        let server = Self::prepare("")?;
        server.start_again()?;
        Ok(server)
    }

    /// A node's name, ports, data directory and configuration (with the
    /// lines of `extra_config` added), not started.
    fn prepare(extra_config: &str) -> anyhow::Result<Self> {
        let dir = fresh_dir("rabbit")?;
        let port = free_port()?;
        let node = format!("inlet-{}@localhost", crate::unique_tag());
        std::fs::write(
            dir.join("rabbitmq.conf"),
            format!(
                "listeners.tcp.default = 127.0.0.1:{port}\nloopback_users.guest = true\n\
                 log.console = false\nlog.file.level = warning\n{extra_config}"
            ),
        )?;
        std::fs::write(dir.join("plugins"), "[].\n")?;
        std::fs::write(dir.join("env.conf"), "")?;
        run(Command::new("chmod").arg("755").arg(&dir))?;
        chown(&dir, "rabbitmq:rabbitmq")?;
        Ok(Self {
            port,
            node,
            dir,
            dist_port: free_port()?,
        })
    }

    /// The Erlang node name (`inlet-…@localhost`).
    pub fn node(&self) -> &str {
        &self.node
    }

    pub fn url(&self) -> String {
        format!("amqp://guest:guest@127.0.0.1:{}/%2f?heartbeat=5", self.port)
    }

    fn command(&self, program: &str) -> Command {
        let mut command = Command::new(program);
        let dir = &self.dir;
        command
            .env("RABBITMQ_NODENAME", &self.node)
            .env("RABBITMQ_DIST_PORT", self.dist_port.to_string())
            .env("RABBITMQ_MNESIA_BASE", dir.join("mnesia"))
            .env("RABBITMQ_LOG_BASE", dir.join("log"))
            .env("RABBITMQ_ENABLED_PLUGINS_FILE", dir.join("plugins"))
            .env("RABBITMQ_PID_FILE", dir.join("pid"))
            .env("RABBITMQ_CONFIG_FILE", dir.join("rabbitmq.conf"))
            .env("RABBITMQ_CONF_ENV_FILE", dir.join("env.conf"))
            .env("ERL_EPMD_ADDRESS", "127.0.0.1");
        command
    }

    fn ctl(&self, args: &[&str]) -> anyhow::Result<()> {
        run(self
            .command("rabbitmqctl")
            .args(["-n", &self.node])
            .args(args))
    }

    /// Evaluates an Erlang `expression` on the node and returns what it
    /// printed (`rabbitmqctl eval`).
    fn eval(&self, expression: &str) -> anyhow::Result<String> {
        let output = self
            .command("rabbitmqctl")
            .args(["-n", &self.node, "eval", expression])
            .stdin(Stdio::null())
            .output()
            .context("running rabbitmqctl eval")?;
        if !output.status.success() {
            bail!(
                "eval on {}: {expression}: {}{}",
                self.node,
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
        }
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_string())
    }

    /// Starts the (stopped) node with its data and waits until it serves.
    pub fn start_again(&self) -> anyhow::Result<()> {
        run(self.command("rabbitmq-server").arg("-detached"))?;
        let pid = self.dir.join("pid");
        self.ctl(&["wait", &pid.to_string_lossy(), "--timeout", "120"])?;
        wait_listening(self.port, Duration::from_secs(30))
    }

    /// Stops the whole node (its queues survive on disk).
    pub fn stop(&self) -> anyhow::Result<()> {
        self.ctl(&["stop"])
    }

    /// SIGKILL to the node's VM: a crash (its queues survive on disk).
    /// Returns once its AMQP port is closed.
    pub fn kill(&self) -> anyhow::Result<()> {
        let pid = std::fs::read_to_string(self.dir.join("pid"))?;
        kill_listening(pid.trim(), self.port, "RabbitMQ")
    }

    /// SIGSTOP (`true`) or SIGCONT (`false`) to the node: a broker that
    /// keeps its connections open and answers nothing.
    pub fn freeze(&self, frozen: bool) -> anyhow::Result<()> {
        let pid = std::fs::read_to_string(self.dir.join("pid"))?;
        let signal = if frozen { "-STOP" } else { "-CONT" };
        run(Command::new("kill").args([signal, pid.trim()]))
    }

    /// The names of the client connections this node holds (the services
    /// name theirs, e.g. `inlet-ingress`).
    pub fn connection_names(&self) -> anyhow::Result<Vec<String>> {
        // Every node has its own AMQP port: the port says whose it is.
        let output = self
            .command("rabbitmqctl")
            .args(["-n", &self.node, "-q", "list_connections"])
            .args(["--no-table-headers", "port", "client_properties"])
            .stdin(Stdio::null())
            .output()?;
        if !output.status.success() {
            bail!(
                "list_connections on {}: {}",
                self.node,
                String::from_utf8_lossy(&output.stderr)
            );
        }
        let port = self.port.to_string();
        Ok(String::from_utf8_lossy(&output.stdout)
            .lines()
            .filter_map(|line| line.split_once('\t'))
            .filter(|(on, _)| on.trim() == port)
            .map(|(_, properties)| connection_name(properties))
            .collect())
    }

    /// Closes every client connection, as a network cut or a broker restart does.
    pub fn close_connections(&self) -> anyhow::Result<()> {
        self.ctl(&["close_all_connections", "test"])
    }

    /// Applies a policy to the queues whose names match `pattern`, e.g.
    /// `{"max-length": 1}`.
    pub fn set_policy(&self, name: &str, pattern: &str, definition: &str) -> anyhow::Result<()> {
        self.ctl(&[
            "set_policy",
            "--apply-to",
            "queues",
            name,
            pattern,
            definition,
        ])
    }

    /// `rabbitmqctl list_queues name messages consumers` (for diagnostics).
    pub fn queues(&self) -> String {
        self.command("rabbitmqctl")
            .args([
                "-n",
                &self.node,
                "list_queues",
                "name",
                "messages",
                "consumers",
                "policy",
            ])
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default()
    }

    pub fn clear_policy(&self, name: &str) -> anyhow::Result<()> {
        self.ctl(&["clear_policy", name])
    }

    /// Raises (`true`) or clears the memory alarm: publishers are blocked.
    pub fn memory_alarm(&self, on: bool) -> anyhow::Result<()> {
        let watermark = if on { "0" } else { "0.4" };
        self.ctl(&["set_vm_memory_high_watermark", watermark])
    }
}

impl Drop for PrivateRabbit {
    fn drop(&mut self) {
        let _ = self
            .command("rabbitmqctl")
            .args(["-n", &self.node, "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The `connection_name` in a `client_properties` column, e.g.
/// `[{"connection_name","longstr","inlet-ingress"},…]` (empty if none).
fn connection_name(properties: &str) -> String {
    let Some((_, after)) = properties.split_once("connection_name") else {
        return String::new();
    };
    let tuple = after.split('}').next().unwrap_or_default();
    tuple.rsplit('"').nth(1).unwrap_or_default().to_string()
}
