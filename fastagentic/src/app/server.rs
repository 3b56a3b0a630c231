//! The running server: start-up, serving until a signal, draining, and the
//! `on_startup`/`on_shutdown` hooks.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::error::Error;
use crate::hooks::{HookContext, HookEvent, HookSet};
use crate::http::{Readiness, StreamCutoff};

/// An assembled app, ready to serve.
pub(super) struct Built {
    pub(super) router: Router,
    pub(super) hooks: Arc<HookSet>,
    pub(super) readiness: Readiness,
    pub(super) stream_cutoff: StreamCutoff,
    pub(super) routes: Vec<String>,
    pub(super) drain_delay: Duration,
    pub(super) shutdown_timeout: Duration,
}

/// How long streams get, once told to end at the drain timeout, to send
/// their error event before the server stops.
const STREAM_END_GRACE: Duration = Duration::from_millis(500);

impl Built {
    pub(super) async fn run<F>(self, listener: TcpListener, signal: F) -> Result<(), Error>
    where
        F: Future<Output = ()> + Send + 'static,
    {
        self.start_up(listener.local_addr()?).await;
        self.serve_until(listener, signal).await
    }

    /// Runs `on_startup` hooks, logs the routes, and marks the server ready.
    pub(super) async fn start_up(&self, addr: SocketAddr) {
        lifecycle(&self.hooks, HookEvent::OnStartup).await;
        for route in &self.routes {
            tracing::info!("{route}");
        }
        tracing::info!("listening on http://{addr} (docs: http://{addr}/docs)");
        self.readiness.set(true);
    }

    /// Serves until `signal`, drains, runs `on_shutdown` hooks.
    pub(super) async fn serve_until<F>(self, listener: TcpListener, signal: F) -> Result<(), Error>
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let Built {
            router,
            hooks,
            readiness,
            stream_cutoff,
            drain_delay,
            shutdown_timeout,
            ..
        } = self;

        let (draining_tx, draining_rx) = oneshot::channel::<()>();
        let graceful = async move {
            signal.await;
            readiness.set(false);
            if !drain_delay.is_zero() {
                tracing::info!(
                    "shutting down: /ready answers 503; still accepting for {drain_delay:?} (drain delay)"
                );
                tokio::time::sleep(drain_delay).await;
            }
            tracing::info!("shutting down: no new connections; draining in-flight requests");
            let _ = draining_tx.send(());
        };
        let server = super::connections::serve(listener, router, graceful);
        let limit = shutdown_timeout;
        let deadline = async move {
            if draining_rx.await.is_ok() {
                tokio::time::sleep(limit).await;
                tracing::warn!(
                    "drain timeout ({limit:?}) reached: ending open streams with an error event"
                );
                stream_cutoff.cut();
                tokio::time::sleep(STREAM_END_GRACE).await;
            } else {
                std::future::pending::<()>().await;
            }
        };
        tokio::select! {
            () = server => {},
            () = deadline => tracing::warn!("in-flight requests still running after {limit:?}; stopping anyway"),
        }
        lifecycle(&hooks, HookEvent::OnShutdown).await;
        tracing::info!("stopped");
        Ok(())
    }
}

/// Runs `on_startup` or `on_shutdown` hooks.
async fn lifecycle(hooks: &HookSet, event: HookEvent) {
    if hooks.has(event) {
        let mut ctx = HookContext::new(event, uuid::Uuid::new_v4(), "");
        let _ = hooks.run(event, &mut ctx).await;
    }
}

/// Completes on Ctrl-C or (on Unix) SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut sig) => {
                sig.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}

/// A server started by [`App::spawn`].
#[derive(Debug)]
pub struct ServerHandle {
    addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<Result<(), Error>>,
}

impl ServerHandle {
    pub(super) fn new(
        addr: SocketAddr,
        shutdown: oneshot::Sender<()>,
        task: tokio::task::JoinHandle<Result<(), Error>>,
    ) -> Self {
        Self {
            addr,
            shutdown: Some(shutdown),
            task,
        }
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://<addr>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting, drains in-flight requests, runs `on_shutdown` hooks, and waits.
    pub async fn shutdown(mut self) -> Result<(), Error> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        match (&mut self.task).await {
            Ok(result) => result,
            Err(e) => Err(Error::Serve(std::io::Error::other(e))),
        }
    }
}
