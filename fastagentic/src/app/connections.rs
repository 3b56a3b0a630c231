//! Accepting connections and serving each one with hyper: HTTP/1.1, or
//! HTTP/2 when the client opens with HTTP/2's preface (prior knowledge, as
//! `axum::serve` also offers), until told to drain.
//!
//! Why not `axum::serve`: to tell HTTP/1 from HTTP/2 it reads the first
//! 24 bytes of every connection on their own and hands them back to hyper,
//! so hyper's first read returns only those bytes and its 8 KiB read buffer
//! grows to 16 KiB for the rest of the request head. That is 8 KiB more
//! heap, a second `read` and a second parse attempt per connection: at
//! 8,000 concurrent streams, 64 MB and 8,000 system calls. Here the bytes
//! are looked at with `peek`, which leaves them in the socket, so hyper
//! reads the whole request at once. Accepted sockets also get
//! `TCP_NODELAY`, so a streamed event goes out when it is written.
//!
//! Connections are not upgradable (no route of an app asks for an HTTP
//! upgrade); a router taken with [`App::into_router`](crate::App::into_router)
//! and served elsewhere has whatever that server offers.

use std::future::Future;
use std::io;
use std::pin::pin;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::graceful::GracefulConnection;
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// What an HTTP/2 client sends first (RFC 9113, section 3.4).
const H2_PREFACE: &[u8; 24] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// How long to wait after an accept error that is not the peer's doing
/// (too many open files, say) before accepting again.
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_secs(1);

/// Serves `router` on every connection `listener` accepts until `drain`
/// completes; then stops accepting, lets each connection finish the
/// request it is serving (closing idle ones), and returns once all have.
pub(super) async fn serve<F>(listener: TcpListener, router: Router, drain: F)
where
    F: Future<Output = ()> + Send + 'static,
{
    let (draining_tx, draining_rx) = watch::channel(false);
    let mut drain = pin!(drain);
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut drain => break,
        };
        let socket = match accepted {
            Ok((socket, _peer)) => socket,
            Err(e) if is_peer_error(&e) => continue,
            Err(e) => {
                tracing::error!(
                    "accepting a connection failed: {e}; retrying in {ACCEPT_ERROR_PAUSE:?}"
                );
                tokio::time::sleep(ACCEPT_ERROR_PAUSE).await;
                continue;
            }
        };
        let _ = socket.set_nodelay(true);
        let router = router.clone();
        let draining = draining_rx.clone();
        tokio::spawn(serve_connection(socket, router, draining));
    }
    drop(listener);
    drop(draining_rx);
    // Each connection task holds a receiver: `closed` is when all ended.
    draining_tx.send_replace(true);
    draining_tx.closed().await;
}

/// Errors of one connection that went away before it was accepted.
fn is_peer_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

async fn serve_connection(socket: TcpStream, router: Router, mut draining: watch::Receiver<bool>) {
    let http2 = tokio::select! {
        opening = opens_with_h2_preface(&socket) => match opening {
            Ok(http2) => http2,
            Err(_) => return,
        },
        _ = draining.wait_for(|draining| *draining) => return,
    };
    let service = TowerToHyperService::new(router);
    let io = TokioIo::new(socket);
    if http2 {
        let mut builder = hyper::server::conn::http2::Builder::new(TokioExecutor::new());
        builder.enable_connect_protocol();
        until_drained(builder.serve_connection(io, service), draining).await;
    } else {
        let connection = hyper::server::conn::http1::Builder::new().serve_connection(io, service);
        until_drained(connection, draining).await;
    }
}

/// Runs a connection; once draining starts, it finishes what it serves and closes.
async fn until_drained<C: GracefulConnection>(connection: C, mut draining: watch::Receiver<bool>) {
    let mut connection = pin!(connection);
    tokio::select! {
        _ = connection.as_mut() => return,
        _ = draining.wait_for(|draining| *draining) => {}
    }
    connection.as_mut().graceful_shutdown();
    let _ = connection.await;
}

/// Whether the client's first bytes are HTTP/2's preface, looked at without
/// taking them from the socket. An HTTP/1 request differs from it within
/// its first three bytes, so one `peek` almost always tells; a client that
/// sent only part of the preface so far is looked at again shortly.
async fn opens_with_h2_preface(socket: &TcpStream) -> io::Result<bool> {
    let mut seen = [0u8; H2_PREFACE.len()];
    loop {
        let n = socket.peek(&mut seen).await?;
        if n == 0 || !H2_PREFACE.starts_with(&seen[..n]) {
            return Ok(false);
        }
        if n == H2_PREFACE.len() {
            return Ok(true);
        }
        // The bytes already there keep the socket readable: wait a little.
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    async fn pair() -> (TcpStream, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap());
        let (client, accepted) = tokio::join!(client, listener.accept());
        (client.unwrap(), accepted.unwrap().0)
    }

    /// The same router answers HTTP/1.1 and HTTP/2 with prior knowledge;
    /// once draining starts, the server stops accepting and returns.
    #[tokio::test]
    async fn serves_http1_and_http2_then_drains() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        let router = Router::new().route("/", axum::routing::get(|| async { "ok" }));
        let (drain_tx, drain_rx) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(serve(listener, router, async move {
            let _ = drain_rx.await;
        }));
        for client in [
            reqwest::Client::builder().http1_only().build().unwrap(),
            reqwest::Client::builder()
                .http2_prior_knowledge()
                .build()
                .unwrap(),
        ] {
            let response = client.get(&url).send().await.unwrap();
            let version = response.version();
            assert_eq!(response.text().await.unwrap(), "ok", "{version:?}");
        }
        let h2 = reqwest::Client::builder()
            .http2_prior_knowledge()
            .build()
            .unwrap();
        assert_eq!(
            h2.get(&url).send().await.unwrap().version(),
            http::Version::HTTP_2
        );
        drain_tx.send(()).unwrap();
        tokio::time::timeout(Duration::from_secs(10), server)
            .await
            .expect("the server drains its idle connections and returns")
            .unwrap();
    }

    #[tokio::test]
    async fn tells_http2_from_http1_and_leaves_the_bytes_in_the_socket() {
        let (mut client, server) = pair().await;
        client.write_all(b"POST /x HTTP/1.1\r\n").await.unwrap();
        assert!(!opens_with_h2_preface(&server).await.unwrap());
        let mut server = server;
        let mut first = [0u8; 4];
        server.read_exact(&mut first).await.unwrap();
        assert_eq!(&first, b"POST");

        // The preface in two parts: decided once all of it is there.
        let (mut client, server) = pair().await;
        client.write_all(&H2_PREFACE[..10]).await.unwrap();
        let decided = tokio::spawn(async move { opens_with_h2_preface(&server).await.unwrap() });
        tokio::time::sleep(Duration::from_millis(20)).await;
        client.write_all(&H2_PREFACE[10..]).await.unwrap();
        assert!(decided.await.unwrap());

        // A client that closes at once is served as HTTP/1 (hyper sees the end).
        let (client, server) = pair().await;
        drop(client);
        assert!(!opens_with_h2_preface(&server).await.unwrap());
    }
}
