//! Free loopback ports for peers that must be told their port.

use std::net::{Ipv4Addr, TcpListener};

use super::PeerError;

/// A loopback port that was free a moment ago.
///
/// Binds `127.0.0.1:0`, reads the port the kernel chose and releases it. Another
/// process may take the port before the peer binds it; the peers' `start`
/// functions notice a peer that died of "address in use" and retry on a new port.
pub fn free_loopback_port() -> Result<u16, PeerError> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .map_err(|e| PeerError::io("bind a free port on", "127.0.0.1:0", e))?;
    let addr = listener
        .local_addr()
        .map_err(|e| PeerError::io("read the local address of", "127.0.0.1:0", e))?;
    Ok(addr.port())
}

/// Runs `start` on a free loopback port, again on a new port (3 tries in all)
/// when the peer died because another process took the port first.
pub(crate) async fn start_on_free_port<T, F, Fut>(mut start: F) -> Result<T, PeerError>
where
    F: FnMut(u16) -> Fut,
    Fut: Future<Output = Result<T, PeerError>>,
{
    const ATTEMPTS: usize = 3;
    let mut attempt = 1;
    loop {
        match start(free_loopback_port()?).await {
            Err(error) if error.is_port_conflict() && attempt < ATTEMPTS => attempt += 1,
            outcome => return outcome,
        }
    }
}
