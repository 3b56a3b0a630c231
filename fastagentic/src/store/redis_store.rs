//! [`RedisStore`]: one Redis server or Redis Cluster, reached through the
//! redis crate's `ConnectionManager` (one multiplexed connection that
//! reconnects by itself; concurrent calls share it, pipelined) or its
//! cluster client (commands routed to the node owning the key's hash slot).
//!
//! Every call is bounded by the store's timeout; a call that fails or times
//! out answers `None` and the piece falls back to its local state (see
//! [`StoreHealth`]).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig};
use redis::cluster::ClusterClientBuilder;
use redis::cluster_async::ClusterConnection;
use redis::{Cmd, ErrorKind, Pipeline, RedisError, RedisFuture, RedisResult, Value};

use super::StoreError;
use super::health::{Piece, Reason, StoreHealth};
use super::redis_address::RedisAddress;

/// How a [`RedisStore`] behaves.
#[derive(Clone, Debug)]
pub struct RedisOptions {
    prefix: String,
    timeout: Duration,
    connect_timeout: Duration,
    retry_interval: Duration,
}

impl Default for RedisOptions {
    fn default() -> Self {
        Self {
            prefix: "fastagentic:".to_owned(),
            timeout: Duration::from_millis(100),
            connect_timeout: Duration::from_secs(2),
            retry_interval: Duration::from_secs(1),
        }
    }
}

impl RedisOptions {
    /// The defaults: prefix `fastagentic:`, 100 ms per call, 2 s to connect,
    /// Redis tried again 1 s after it failed.
    pub fn new() -> Self {
        Self::default()
    }

    /// What every key starts with (default `fastagentic:`): apps sharing
    /// one Redis keep apart by giving each its own.
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// How long one call may take before the piece falls back to its local
    /// state (default 100 ms).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// How long connecting may take, at start-up and when reconnecting
    /// (default 2 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// After a failure, how long calls skip Redis before one tries it again
    /// (default 1 s).
    pub fn retry_interval(mut self, interval: Duration) -> Self {
        self.retry_interval = interval;
        self
    }
}

/// A connection to one server or to a cluster; both route a script by its keys.
#[derive(Clone)]
pub(crate) enum Connection {
    Single(ConnectionManager),
    Cluster(ClusterConnection),
}

impl ConnectionLike for Connection {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Connection::Single(c) => c.req_packed_command(cmd),
            Connection::Cluster(c) => c.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Connection::Single(c) => c.req_packed_commands(pipeline, offset, count),
            Connection::Cluster(c) => c.req_packed_commands(pipeline, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Connection::Single(c) => c.get_db(),
            Connection::Cluster(c) => c.get_db(),
        }
    }
}

struct Inner {
    connection: Connection,
    options: RedisOptions,
    health: StoreHealth,
}

/// One Redis server or Redis Cluster holding the state replicas share.
/// Clones share the connection.
///
/// ```no_run
/// # async fn demo() -> Result<(), fastagentic::store::StoreError> {
/// use std::time::Duration;
/// use fastagentic::store::{RedisOptions, RedisStore};
/// let store = RedisStore::connect_with(
///     "redis://127.0.0.1:6379",
///     RedisOptions::new().prefix("support-bot:").timeout(Duration::from_millis(50)),
/// )
/// .await?;
/// # let _ = store; Ok(()) }
/// ```
#[derive(Clone)]
pub struct RedisStore {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("address", &self.inner.health.address())
            .field("options", &self.inner.options)
            .field("up", &self.inner.health.is_up())
            .finish()
    }
}

impl RedisStore {
    /// Connects to `url` with the default [`RedisOptions`] and checks the
    /// connection (`PING`): a wrong URL, an unreachable server or a refused
    /// password is an error that names the fix.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        Self::connect_with(url, RedisOptions::default()).await
    }

    /// Connects to `url` with `options`, checked like [`connect`](Self::connect).
    pub async fn connect_with(url: &str, options: RedisOptions) -> Result<Self, StoreError> {
        let address = RedisAddress::parse(url)?;
        let shown = address.redacted();
        let refused = |error: RedisError| classify(&shown, &error);
        let within = options.connect_timeout;
        let timed_out = || StoreError::Unreachable {
            address: shown.clone(),
            reason: format!("no answer within {} ms", within.as_millis()),
        };
        let connection = match &address {
            RedisAddress::Single(url) => {
                let client =
                    redis::Client::open(url.as_str()).map_err(|error| StoreError::InvalidUrl {
                        url: shown.clone(),
                        reason: error.to_string(),
                    })?;
                let config = ConnectionManagerConfig::new()
                    .set_connection_timeout(Some(options.connect_timeout))
                    .set_response_timeout(Some(options.timeout))
                    .set_number_of_retries(2)
                    .set_max_delay(Duration::from_millis(500));
                let manager = tokio::time::timeout(
                    within,
                    ConnectionManager::new_with_config(client, config),
                )
                .await
                .map_err(|_| timed_out())?
                .map_err(refused)?;
                Connection::Single(manager)
            }
            RedisAddress::Cluster(nodes) => {
                let client = ClusterClientBuilder::new(nodes.iter().map(String::as_str))
                    .connection_timeout(options.connect_timeout)
                    .response_timeout(options.timeout)
                    .retries(1)
                    .build()
                    .map_err(|error| StoreError::InvalidUrl {
                        url: shown.clone(),
                        reason: error.to_string(),
                    })?;
                let connection = tokio::time::timeout(within, client.get_async_connection())
                    .await
                    .map_err(|_| timed_out())?
                    .map_err(refused)?;
                Connection::Cluster(connection)
            }
        };
        let mut check = connection.clone();
        let pong: RedisResult<String> =
            tokio::time::timeout(within, redis::cmd("PING").query_async(&mut check))
                .await
                .map_err(|_| timed_out())?;
        pong.map_err(refused)?;
        Ok(Self {
            inner: Arc::new(Inner {
                connection,
                health: StoreHealth::new(shown.clone(), options.retry_interval),
                options,
            }),
        })
    }

    /// The key prefix.
    pub fn prefix(&self) -> &str {
        &self.inner.options.prefix
    }

    /// Whether Redis answers, and how often pieces fell back to local state.
    pub fn health(&self) -> &StoreHealth {
        &self.inner.health
    }

    /// Whether two handles share one connection (and so one health).
    pub fn same_as(&self, other: &RedisStore) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    /// `prefix` + `rest`.
    pub(crate) fn key(&self, rest: &str) -> String {
        let mut key = String::with_capacity(self.prefix().len() + rest.len());
        key.push_str(self.prefix());
        key.push_str(rest);
        key
    }

    /// Runs `call` on the connection within the timeout: `None` when Redis
    /// is known down, fails or is too slow (counted against `piece`).
    pub(crate) async fn run<T, F, Fut>(&self, piece: Piece, call: F) -> Option<T>
    where
        F: FnOnce(Connection) -> Fut,
        Fut: Future<Output = RedisResult<T>>,
    {
        let health = &self.inner.health;
        if !health.may_try(piece) {
            return None;
        }
        let connection = self.inner.connection.clone();
        match tokio::time::timeout(self.inner.options.timeout, call(connection)).await {
            Ok(Ok(value)) => {
                health.succeeded();
                Some(value)
            }
            Ok(Err(error)) => {
                health.failed(piece, Reason::Error, &error.to_string());
                None
            }
            Err(_) => {
                let detail = format!(
                    "no answer within {} ms",
                    self.inner.options.timeout.as_millis()
                );
                health.failed(piece, Reason::Timeout, &detail);
                None
            }
        }
    }
}

/// A connection error as a [`StoreError`] naming the fix.
fn classify(address: &str, error: &RedisError) -> StoreError {
    let refused_by_server = matches!(error.kind(), ErrorKind::AuthenticationFailed)
        || matches!(error.code(), Some("NOAUTH" | "WRONGPASS" | "NOPERM"))
        || error.to_string().contains("invalid DB index");
    if refused_by_server {
        StoreError::Refused {
            address: address.to_owned(),
            reason: error.to_string(),
        }
    } else {
        StoreError::Unreachable {
            address: address.to_owned(),
            reason: error.to_string(),
        }
    }
}
