//! The built-in dashboard: a live view of the app at `GET /dashboard`,
//! with nothing else running (no database, no hosted service, no CDN).
//!
//! Turn it on with [`App::dashboard`](crate::App::dashboard):
//!
//! ```no_run
//! use fastagentic::prelude::*;
//! use fastagentic::Dashboard;
//!
//! # async fn run() -> Result<(), fastagentic::Error> {
//! App::new("My Agent")
//!     .dashboard(Dashboard::new())
//!     .serve("127.0.0.1:8000")
//!     .await
//! # }
//! ```
//!
//! The page shows, updating live over server-sent events
//! (`GET /dashboard/events`; the same data as JSON at
//! `GET /dashboard/snapshot`): requests, LLM calls, errors by type, cache
//! hit rates (exact and semantic), cost and what the caches saved, retries
//! and fallbacks; latency p50/p95/p99 and cost over time per endpoint,
//! model and user; the health of every node of every gateway tree (circuit
//! breaker state, error rate, latency); and a log of the latest calls.
//!
//! ## Access
//! Bound to a loopback address (`127.0.0.1`, `::1`) the dashboard is open
//! to whoever can reach the port. Bound to any other address it requires a
//! token ([`Dashboard::token`] or the `FASTAGENTIC_DASHBOARD_TOKEN`
//! environment variable), and start-up fails without one, naming the fix.
//! With a token set, every dashboard route needs it, whatever the address:
//! sent as `Authorization: Bearer <token>`, or typed once into the login
//! form, which sets an `HttpOnly`, `SameSite=Strict` session cookie. The
//! token is never put in a URL, and the cookie holds a digest of it salted
//! per process, never the token itself.
//!
//! ## Memory
//! Everything is in memory and bounded: the latest calls (500 by default,
//! [`Dashboard::recent_calls`]; each about 300 bytes, plus up to 4,000
//! characters when prompts are shown), 15 minutes of 10-second buckets
//! (at most 32 endpoint-and-model series and 32 users each) and totals
//! since start-up (at most 256 labels each). About 1 MB with the defaults.
//! Without a dashboard nothing is recorded.

mod access;
mod page;
mod routes;
mod snapshot;

use std::net::SocketAddr;
use std::sync::Arc;

pub(crate) use routes::{PATHS, router};

use crate::error::Error;
use crate::http::Readiness;
use crate::observability::Metrics;
use crate::observability::call_log::{CAPACITY_RANGE, CallLog};
use crate::secret::Secret;
use access::Access;

/// The environment variable the dashboard's token is read from when none
/// is given in code.
pub const TOKEN_ENV: &str = "FASTAGENTIC_DASHBOARD_TOKEN";

/// How many recent calls the dashboard keeps by default.
pub const DEFAULT_RECENT_CALLS: usize = 500;

/// The dashboard's options, for [`App::dashboard`](crate::App::dashboard).
///
/// ```
/// use fastagentic::Dashboard;
/// let dashboard = Dashboard::new()
///     .recent_calls(1_000)
///     .show_prompts(true)
///     .replica("eu-west-1a");
/// # let _ = dashboard;
/// ```
#[derive(Clone, Debug)]
pub struct Dashboard {
    token: Option<Secret>,
    recent_calls: usize,
    show_prompts: bool,
    replica: Option<String>,
}

impl Default for Dashboard {
    fn default() -> Self {
        Self::new()
    }
}

impl Dashboard {
    /// A dashboard keeping the latest [`DEFAULT_RECENT_CALLS`] calls,
    /// without prompts, its token (if any) read from
    /// `FASTAGENTIC_DASHBOARD_TOKEN` at start-up.
    pub fn new() -> Self {
        Self {
            token: None,
            recent_calls: DEFAULT_RECENT_CALLS,
            show_prompts: false,
            replica: None,
        }
    }

    /// The token every dashboard route then requires (instead of
    /// `FASTAGENTIC_DASHBOARD_TOKEN`).
    pub fn token(mut self, token: impl Into<Secret>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// How many recent calls the request log keeps (10 to 10,000).
    pub fn recent_calls(mut self, calls: usize) -> Self {
        self.recent_calls = calls;
        self
    }

    /// Shows each call's prompt and answer in the request log, with
    /// credentials masked and each cut to 2,000 characters (off by
    /// default: prompts often hold what users would not want shown).
    pub fn show_prompts(mut self, show: bool) -> Self {
        self.show_prompts = show;
        self
    }

    /// The name of this replica or instance, shown in the page's header:
    /// each replica's dashboard shows its own traffic.
    pub fn replica(mut self, name: impl Into<String>) -> Self {
        self.replica = Some(name.into());
        self
    }

    /// The log of calls the app's endpoints record into.
    pub(crate) fn call_log(&self) -> Arc<CallLog> {
        let calls = self
            .recent_calls
            .clamp(*CAPACITY_RANGE.start(), *CAPACITY_RANGE.end());
        Arc::new(CallLog::new(calls, self.show_prompts))
    }

    /// Checks the access rule for an app bound to `bound` (`None`: not
    /// known, as with [`App::into_router`](crate::App::into_router), taken
    /// as not loopback) and gathers what the routes serve.
    pub(crate) fn prepare(
        self,
        bound: Option<SocketAddr>,
        title: &str,
        metrics: Metrics,
        readiness: Readiness,
    ) -> Result<DashboardState, Error> {
        let token = self.token.or_else(|| Secret::from_env(TOKEN_ENV));
        let access = Access::new(token, bound)?;
        let log = metrics
            .call_log()
            .cloned()
            .ok_or_else(|| Error::Dashboard {
                message: "the app's metrics hold no call log (an internal error)".to_owned(),
            })?;
        Ok(DashboardState {
            access,
            log,
            metrics,
            readiness,
            title: title.to_owned(),
            replica: self.replica,
            started_ms: crate::observability::call_log::unix_ms(std::time::SystemTime::now()),
        })
    }
}

/// What the dashboard's routes share.
pub(crate) struct DashboardState {
    access: Access,
    log: Arc<CallLog>,
    metrics: Metrics,
    readiness: Readiness,
    title: String,
    replica: Option<String>,
    started_ms: u64,
}
