//! [`StoreError`]: why a shared store could not be set up, with the fix.

/// Why a shared store could not be set up. Every message names the fix and
/// never shows a password (URLs are shown with it replaced by `***`).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// `REDIS_URL` (or the URL given) is not a Redis URL.
    #[error(
        "`{url}` is not a Redis URL ({reason}): expected redis://[user:password@]host:port[/db], \
         several comma-separated redis:// URLs or redis+cluster://host:port for a Redis Cluster; \
         fix REDIS_URL"
    )]
    InvalidUrl {
        /// The URL, password hidden.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Nothing answered at the address.
    #[error(
        "could not reach Redis at {address} ({reason}): check that redis-server runs there \
         and that REDIS_URL names its host and port"
    )]
    Unreachable {
        /// Where Redis was looked for, password hidden.
        address: String,
        /// What the connection attempt said.
        reason: String,
    },
    /// Redis answered but refused us (a password, a user, a database).
    #[error(
        "Redis at {address} refused the connection ({reason}): put the right user and password \
         in REDIS_URL (redis://user:password@host:port) and check the database number"
    )]
    Refused {
        /// Where Redis is, password hidden.
        address: String,
        /// What Redis said.
        reason: String,
    },
    /// `REDIS_URL` names Redis, but this build has no Redis support.
    #[error(
        "REDIS_URL names a Redis server, but fastagentic was built without its `redis` feature: \
         enable it (fastagentic = {{ features = [\"redis\"] }}) or unset REDIS_URL"
    )]
    FeatureMissing,
}
