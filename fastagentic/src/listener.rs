//! The listening socket: bound with an accept queue deep enough for bursts
//! of new connections.

use std::net::SocketAddr;

use tokio::net::{TcpListener, TcpSocket};

use crate::error::Error;

/// How many connections may wait to be accepted. `TcpListener::bind` asks
/// for 1,024; a burst of thousands of new streams overflows that while the
/// accept loop waits for a core, and every dropped SYN costs its client a
/// one-second retransmission. The kernel caps the value at
/// `net.core.somaxconn` (4,096 by default since Linux 5.4).
const BACKLOG: u32 = 4096;

/// A listener on `addr` (`host:port`, resolved; the first address that
/// binds wins) with an accept queue of 4,096, as [`App::serve`](crate::App::serve)
/// binds. Use it for [`App::serve_with_shutdown`](crate::App::serve_with_shutdown)
/// where `TcpListener::bind` would queue only 1,024 connections.
///
/// ```no_run
/// # async fn run() -> Result<(), fastagentic::Error> {
/// let listener = fastagentic::listen("127.0.0.1:8000").await?;
/// fastagentic::App::new("My Agent")
///     .serve_with_shutdown(listener, fastagentic::shutdown_signal())
///     .await
/// # }
/// ```
pub async fn listen(addr: &str) -> Result<TcpListener, Error> {
    let failed = |message: String| Error::Bind {
        addr: addr.to_owned(),
        message: format!(
            "{message} (pick another address, e.g. set FASTAGENTIC_ADDR=127.0.0.1:8001)"
        ),
    };
    let resolved = tokio::net::lookup_host(addr)
        .await
        .map_err(|e| failed(e.to_string()))?;
    let mut last = None;
    for candidate in resolved {
        match bind_one(candidate) {
            Ok(listener) => return Ok(listener),
            Err(e) => last = Some(e),
        }
    }
    Err(failed(last.map_or_else(
        || "the address resolved to nothing".to_owned(),
        |e| e.to_string(),
    )))
}

fn bind_one(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    // As `TcpListener::bind` does: a restarted server may take the port
    // while old connections sit in TIME_WAIT.
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(BACKLOG)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tokio::net::TcpStream;

    use super::*;

    #[tokio::test]
    async fn binds_a_free_port_and_names_the_address_when_it_cannot() {
        let listener = listen("127.0.0.1:0").await.unwrap();
        let taken = listener.local_addr().unwrap().to_string();
        let err = listen(&taken).await.unwrap_err().to_string();
        assert!(
            err.contains(&taken) && err.contains("FASTAGENTIC_ADDR"),
            "{err}"
        );
        let err = listen("no-such-host.invalid:80")
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains("no-such-host.invalid:80"), "{err}");
    }

    /// More connections than `TcpListener::bind`'s queue holds arrive before
    /// the server accepts any: every one connects at once (a full queue
    /// drops the SYN and the client would wait a second to retry).
    #[tokio::test]
    async fn queues_a_burst_of_connections_beyond_1024() {
        let listener = listen("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        // The kernel caps the queue at `net.core.somaxconn`.
        let cap = std::fs::read_to_string("/proc/sys/net/core/somaxconn")
            .ok()
            .and_then(|v| v.trim().parse::<usize>().ok())
            .unwrap_or(4096);
        let mut waiting = Vec::new();
        for n in 0..cap.min(1100) {
            let connected =
                tokio::time::timeout(Duration::from_millis(500), TcpStream::connect(addr)).await;
            match connected {
                Ok(Ok(stream)) => waiting.push(stream),
                Ok(Err(e)) => panic!("connection {n}: {e} (is the open-file limit below 1,200?)"),
                Err(_) => panic!("connection {n} waited: the accept queue is full"),
            }
        }
        drop(listener);
    }
}
