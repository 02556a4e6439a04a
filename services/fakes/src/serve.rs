//! Running a fake's router on a listener until the fake is dropped.

use axum::Router;
use std::net::SocketAddr;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// A running HTTP server; dropping it stops the server.
#[derive(Debug)]
pub(crate) struct Running {
    addr: SocketAddr,
    stop: CancellationToken,
}

impl Running {
    /// Binds `addr` (port 0 picks a free port) and serves `router` in the background.
    pub(crate) async fn bind(addr: SocketAddr, router: Router) -> std::io::Result<Self> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let stop = CancellationToken::new();
        let shutdown = stop.clone();
        tokio::spawn(async move {
            let served = axum::serve(listener, router)
                .with_graceful_shutdown(async move { shutdown.cancelled().await })
                .await;
            if let Err(error) = served {
                tracing::warn!(%error, %addr, "fake server stopped with an error");
            }
        });
        Ok(Self { addr, stop })
    }

    /// `http://host:port` of the server, without a trailing slash.
    pub(crate) fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}
