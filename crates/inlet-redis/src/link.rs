//! The Redis connection every service uses: a multiplexed connection that
//! connects lazily and reconnects by itself, so a service starts and keeps
//! serving while Redis is down (it is then `degraded`, not unready).
//!
//! With `redis.sentinels` the primary's address is asked of Redis Sentinel
//! (`SENTINEL get-master-addr-by-name`), and asked again whenever a command
//! fails in a way a failover explains: the connection is refused or lost,
//! or the server answers `READONLY` (it was demoted to a replica). A new
//! address gets a new connection; commands that failed meanwhile failed
//! like any Redis outage, which every caller already handles.

use inlet_core::settings::RedisSettings;
use redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig};
use redis::{
    Client, Cmd, ConnectionAddr, ErrorKind, IntoConnectionInfo, Pipeline, RedisError, RedisFuture,
    RedisResult, ServerErrorKind, Value,
};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::{Instant, timeout};

/// How long one sentinel gets to answer where the primary is.
const SENTINEL_TIMEOUT: Duration = Duration::from_secs(1);
/// The least time between two questions to the sentinels, so that an outage
/// does not turn every failed command into a round of them.
const REDISCOVER_EVERY: Duration = Duration::from_millis(250);

/// The connection: direct to `redis.url`, or to the primary Sentinel names.
/// Cheap to clone; every clone shares the one multiplexed connection.
#[derive(Clone)]
pub struct RedisConnection(Route);

#[derive(Clone)]
enum Route {
    Direct(ConnectionManager),
    Sentinel(Arc<SentinelLink>),
}

/// A lazily connecting connection; commands fail fast while Redis is away.
pub fn manager(settings: &RedisSettings) -> RedisResult<RedisConnection> {
    if settings.sentinels.is_empty() {
        let client = Client::open(settings.url.as_str())?;
        return Ok(RedisConnection(Route::Direct(connection_manager(client)?)));
    }
    // Checked now, so that a bad URL is a start-up error as without Sentinel.
    settings.url.as_str().into_connection_info()?;
    Ok(RedisConnection(Route::Sentinel(Arc::new(SentinelLink {
        settings: settings.clone(),
        primary: Mutex::new(None),
        asked: tokio::sync::Mutex::new(None),
    }))))
}

fn connection_manager(client: Client) -> RedisResult<ConnectionManager> {
    let config = ConnectionManagerConfig::new()
        .set_connection_timeout(Some(Duration::from_secs(1)))
        .set_response_timeout(Some(Duration::from_secs(2)))
        .set_number_of_retries(1)
        .set_max_delay(Duration::from_millis(500));
    ConnectionManager::new_lazy_with_config(client, config)
}

/// A client for the current primary: `redis.url` itself, or the address the
/// sentinels give with `url`'s password and database. For connections of
/// their own (pub/sub subscriptions), made again at each reconnection.
pub async fn primary_client(settings: &RedisSettings) -> RedisResult<Client> {
    if settings.sentinels.is_empty() {
        return Client::open(settings.url.as_str());
    }
    let address = ask_sentinels(settings).await?;
    client_at(settings, address)
}

fn client_at(settings: &RedisSettings, (host, port): (String, u16)) -> RedisResult<Client> {
    let info = settings
        .url
        .as_str()
        .into_connection_info()?
        .set_addr(ConnectionAddr::Tcp(host, port));
    Client::open(info)
}

/// The primary's address, from the first sentinel that knows it.
async fn ask_sentinels(settings: &RedisSettings) -> RedisResult<(String, u16)> {
    let mut last_error = None;
    for sentinel in &settings.sentinels {
        let asked = async {
            let client = Client::open(format!("redis://{sentinel}/"))?;
            let mut connection = client.get_multiplexed_async_connection().await?;
            redis::cmd("SENTINEL")
                .arg("get-master-addr-by-name")
                .arg(&settings.sentinel_master)
                .query_async::<Option<(String, u16)>>(&mut connection)
                .await
        };
        match timeout(SENTINEL_TIMEOUT, asked).await {
            Ok(Ok(Some(address))) => return Ok(address),
            Ok(Ok(None)) => {
                last_error = Some(RedisError::from((
                    ErrorKind::MasterNameNotFoundBySentinel,
                    "the sentinel does not monitor this name",
                    format!("{sentinel}: {}", settings.sentinel_master),
                )))
            }
            Ok(Err(error)) => last_error = Some(error),
            Err(_) => {
                last_error = Some(RedisError::from((
                    ErrorKind::Io,
                    "the sentinel did not answer in time",
                    sentinel.clone(),
                )))
            }
        }
    }
    Err(last_error.unwrap_or_else(|| {
        RedisError::from((ErrorKind::EmptySentinelList, "no sentinel configured"))
    }))
}

/// Whether `error` is what a failover looks like from a client: the
/// primary gone, or demoted and refusing writes.
fn failover_shaped(error: &RedisError) -> bool {
    error.is_io_error()
        || error.is_connection_refusal()
        || error.is_connection_dropped()
        || error.is_timeout()
        || error.kind() == ErrorKind::Server(ServerErrorKind::ReadOnly)
}

struct SentinelLink {
    settings: RedisSettings,
    /// The primary's address and the connection to it, once known.
    primary: Mutex<Option<((String, u16), ConnectionManager)>>,
    /// When the sentinels were last asked (one question at a time).
    asked: tokio::sync::Mutex<Option<Instant>>,
}

impl SentinelLink {
    fn current(&self) -> Option<ConnectionManager> {
        let primary = self.primary.lock().unwrap_or_else(|e| e.into_inner());
        primary.as_ref().map(|(_, connection)| connection.clone())
    }

    /// The connection to the primary, asking the sentinels first if none is
    /// known yet.
    async fn connection(&self) -> RedisResult<ConnectionManager> {
        match self.current() {
            Some(connection) => Ok(connection),
            None => self.rediscover().await,
        }
    }

    /// Asks the sentinels where the primary is (at most every
    /// [`REDISCOVER_EVERY`]); a new address gets a new connection.
    async fn rediscover(&self) -> RedisResult<ConnectionManager> {
        let mut asked = self.asked.lock().await;
        if let (Some(at), Some(connection)) = (*asked, self.current())
            && at.elapsed() < REDISCOVER_EVERY
        {
            return Ok(connection);
        }
        *asked = Some(Instant::now());
        let address = ask_sentinels(&self.settings).await?;
        let mut primary = self.primary.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((known, connection)) = primary.as_ref()
            && *known == address
        {
            return Ok(connection.clone());
        }
        tracing::info!(host = %address.0, port = address.1, "redis primary (from sentinel)");
        let connection = connection_manager(client_at(&self.settings, address.clone())?)?;
        *primary = Some((address, connection.clone()));
        Ok(connection)
    }

    /// After a failed command: a failover-shaped error sends the next
    /// command to wherever the sentinels now say the primary is.
    async fn after(&self, error: &RedisError) {
        if failover_shaped(error)
            && let Err(error) = self.rediscover().await
        {
            tracing::debug!(%error, "sentinels not reachable");
        }
    }
}

impl ConnectionLike for RedisConnection {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match &mut self.0 {
            Route::Direct(connection) => connection.req_packed_command(cmd),
            Route::Sentinel(link) => Box::pin(async move {
                let mut connection = link.connection().await?;
                let result = connection.req_packed_command(cmd).await;
                if let Err(error) = &result {
                    link.after(error).await;
                }
                result
            }),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match &mut self.0 {
            Route::Direct(connection) => connection.req_packed_commands(pipeline, offset, count),
            Route::Sentinel(link) => Box::pin(async move {
                let mut connection = link.connection().await?;
                let result = connection
                    .req_packed_commands(pipeline, offset, count)
                    .await;
                if let Err(error) = &result {
                    link.after(error).await;
                }
                result
            }),
        }
    }

    fn get_db(&self) -> i64 {
        match &self.0 {
            Route::Direct(connection) => connection.get_db(),
            Route::Sentinel(link) => link
                .settings
                .url
                .as_str()
                .into_connection_info()
                .map_or(0, |info| info.redis_settings().db()),
        }
    }
}

/// Checks that Redis answers (readiness).
pub async fn ping(connection: &mut RedisConnection) -> redis::RedisResult<()> {
    redis::cmd("PING")
        .query_async::<String>(connection)
        .await
        .map(|_| ())
}
