//! The accept loop: every connection is admitted by [`super::conn`], its first request head is
//! read and judged by [`super::head`] within [`HEADER_TIMEOUT`], and hyper serves the rest with
//! the same timeout for every later head and for idle keep-alive, each later head judged first
//! by [`super::requests`]. Running out of file descriptors (EMFILE) sheds the longest-idle
//! connection and backs off instead of spinning.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use super::conn::{Admitted, MAX_CONNECTIONS, Registry};
use super::head;
use super::requests::Judged;

/// How long a client has to send a whole request head, and how long a keep-alive connection may
/// sit idle before it is closed.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// How long requests being answered at shutdown may take to finish.
const DRAIN: Duration = Duration::from_secs(5);

/// Serve `app` on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    clock: std::sync::Arc<dyn crate::clock::Clock>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) {
    let registry = Registry::new(MAX_CONNECTIONS);
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut tasks = tokio::task::JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            _ = &mut shutdown => break,
            Some(_) = tasks.join_next(), if !tasks.is_empty() => continue,
            r = listener.accept() => match r {
                Ok(accepted) => accepted,
                Err(e) => {
                    accept_failed(&e, &registry, &*clock).await;
                    continue;
                }
            },
        };
        match registry.admit() {
            Some(slot) => {
                tasks.spawn(connection(stream, peer, app.clone(), slot, stop_rx.clone()));
            }
            None => turn_away(stream),
        }
    }
    let _ = stop_tx.send(true);
    let _ = tokio::time::timeout(DRAIN, async { while tasks.join_next().await.is_some() {} }).await;
}

/// After a failed `accept`: out of descriptors (or memory), make room and wait a little, so the
/// loop neither spins nor starves the rest of the daemon; otherwise (a client that reset before
/// it was accepted) carry on.
async fn accept_failed(e: &std::io::Error, registry: &Registry, clock: &dyn crate::clock::Clock) {
    const EMFILE: i32 = 24;
    const ENFILE: i32 = 23;
    const ENOBUFS: i32 = 105;
    const ENOMEM: i32 = 12;
    static LAST_WARNED: AtomicI64 = AtomicI64::new(0);
    match e.raw_os_error() {
        Some(EMFILE | ENFILE | ENOBUFS | ENOMEM) => {
            let now = clock.now();
            if now - LAST_WARNED.swap(now, Ordering::Relaxed) >= 60 {
                tracing::warn!(
                    error = %e,
                    connections = registry.len(),
                    "web: cannot accept connections; closing idle ones and backing off"
                );
            }
            registry.shed_one();
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        _ => tokio::task::yield_now().await,
    }
}

/// Every held connection is answering a request: say so without waiting, and close.
fn turn_away(stream: TcpStream) {
    let _ = stream.try_write(&head::refusal(503, "Service Unavailable"));
}

/// Serve one connection. Every request carries the TCP peer's address as
/// `ConnectInfo<SocketAddr>` (the desk believes a single sign-on proxy's header only from the
/// proxies it trusts).
async fn connection(
    mut stream: TcpStream,
    peer: std::net::SocketAddr,
    app: Router,
    slot: Admitted,
    mut stop: watch::Receiver<bool>,
) {
    let _ = stream.set_nodelay(true);
    let close = slot.close.clone();
    let slot = Arc::new(slot);
    let work = async move {
        let read = tokio::select! {
            r = head::read_first_head(&mut stream, HEADER_TIMEOUT) => r,
            // Shutting down: a connection that has not asked for anything yet just closes.
            _ = stop.changed() => return,
        };
        let first = match read {
            Ok(bytes) => bytes,
            Err(e) => {
                if let Some((code, reason)) = e.status() {
                    let _ = tokio::time::timeout(Duration::from_secs(2), async {
                        stream.write_all(&head::refusal(code, reason)).await?;
                        stream.shutdown().await
                    })
                    .await;
                }
                return;
            }
        };
        let service =
            hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                slot.busy();
                let mut app = app.clone();
                let slot = slot.clone();
                async move {
                    let mut req = req.map(axum::body::Body::new);
                    req.extensions_mut()
                        .insert(axum::extract::ConnectInfo(peer));
                    let response = tower_service::Service::call(&mut app, req).await;
                    slot.idle();
                    response
                }
            });
        let conn = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(HEADER_TIMEOUT)
            .max_headers(4 * head::MAX_HEADERS)
            // The stream ends where a refused head begins: the requests before it are still
            // answered (our refusal follows them when hyper closes the connection).
            .half_close(true)
            .serve_connection(TokioIo::new(Judged::new(first, stream)), service);
        tokio::pin!(conn);
        tokio::select! {
            _ = conn.as_mut() => {}
            _ = stop.changed() => {
                conn.as_mut().graceful_shutdown();
                let _ = tokio::time::timeout(DRAIN, conn).await;
            }
        }
    };
    tokio::select! {
        _ = work => {}
        _ = close.notified() => {}
    }
}
