//! The HTTP server loop (hyper's HTTP/1.1 connections, axum's router): what keeps the endpoint up
//! under hostile clients.
//!
//! - Every connection must send a request's headers within [`Limits::timeout`] of opening (or of its
//!   previous response: the same timer closes idle keep-alive connections): hyper's
//!   `header_read_timeout`. A request's body must arrive within the same time (tower's timeout,
//!   408), and the interactions route reads at most `INTERACTION_BODY_LIMIT` bytes of it.
//! - At most [`Limits::max_connections`] connections are served at once, kept below the open-file
//!   limit. Past it, [`SPARE_CONNECTIONS`] more are served one request each: `/healthz`, `/readyz`
//!   and `/metrics` answer, anything else gets 503; past those, a connection is closed as soon as it
//!   is accepted. Both are counted in `/metrics`.
//! - Once a burst of connections is over, the heap's free memory is given back to the system
//!   (`malloc_trim`), so an attack does not leave the process at its size during the attack.
//! - Shutdown stops accepting, lets connections finish their requests until [`DRAIN`] has passed,
//!   then closes the rest: a client holding a half-sent request cannot keep the process alive.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{info, warn};

use crate::metrics::METRICS;

/// How long shutdown lets open connections finish before closing them.
pub const DRAIN: Duration = Duration::from_secs(10);
/// Connections served past the cap, one request each, so that health checks still answer.
pub const SPARE_CONNECTIONS: usize = 64;
/// Open files kept for everything else (index segments, the database, outgoing calls, logs).
const RESERVED_FILES: u64 = 128;
/// How long a spare connection may take to send its one request.
const SPARE_TIMEOUT: Duration = Duration::from_secs(2);
/// hyper's read buffer per connection at most (its default is ~400 KB).
const MAX_BUF: usize = 8 * 1024;

/// `[http]` limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Headers (and idle keep-alive), and a request's body, must arrive within this.
    pub timeout: Duration,
    /// Connections served at once (lowered at start to fit the open-file limit).
    pub max_connections: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { timeout: Duration::from_secs(10), max_connections: 768 }
    }
}

/// The connection cap that fits under the process's open-file limit, with [`RESERVED_FILES`] and
/// the spare connections left over (Linux: read from `/proc/self/limits`; elsewhere `wanted`).
fn connection_cap(wanted: usize) -> usize {
    let Some(files) = open_file_limit() else { return wanted };
    let fits = files.saturating_sub(RESERVED_FILES + SPARE_CONNECTIONS as u64) as usize;
    if fits < wanted {
        warn!(
            open_file_limit = files,
            "http.max_connections is {wanted} but only {fits} connections fit under the open-file limit \
             (raise it with `ulimit -n` or LimitNOFILE=); serving {fits}"
        );
    }
    wanted.min(fits).max(1)
}

/// The soft limit on open files, if the system says.
fn open_file_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line["Max open files".len()..].split_whitespace().next()?.parse().ok()
}

/// After a burst of connections has come and gone (an attack, a spike), returns the memory their
/// buffers used to the system: glibc keeps freed memory in its arenas otherwise, and the process
/// would stay as large as the burst made it. `peak` is the most connections open since the last look.
async fn give_back_memory(connections: TaskTracker, peak: Arc<AtomicUsize>) {
    const EVERY: Duration = Duration::from_secs(2);
    loop {
        tokio::time::sleep(EVERY).await;
        let open = connections.len();
        let seen = peak.load(Ordering::Relaxed);
        if seen >= 64 && open <= seen / 4 {
            peak.store(open, Ordering::Relaxed);
            let _ = tokio::task::spawn_blocking(trim_heap).await;
        }
    }
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn trim_heap() {
    // SAFETY: malloc_trim only releases free memory back to the system; it is thread-safe and
    // touches nothing the program holds.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn trim_heap() {}

/// Serves `app` on `listener` until `stop` is cancelled, then drains (see the module's doc).
/// `shed` serves connections past the cap.
pub async fn serve(listener: TcpListener, app: Router, shed: Router, limits: Limits, stop: CancellationToken) {
    let cap = connection_cap(limits.max_connections);
    let slots = Arc::new(Semaphore::new(cap));
    let spare = Arc::new(Semaphore::new(SPARE_CONNECTIONS));
    let connections = TaskTracker::new();
    // Cancelled when shutdown begins (finish the request in progress, take no more) and when the
    // drain time is over (close now).
    let (finish, close) = (CancellationToken::new(), CancellationToken::new());
    let mut accept_errors_logged = tokio::time::Instant::now() - Duration::from_secs(60);
    let peak = Arc::new(AtomicUsize::new(0));
    let trim = tokio::spawn(give_back_memory(connections.clone(), peak.clone()));
    loop {
        let (stream, _) = tokio::select! {
            () = stop.cancelled() => break,
            r = listener.accept() => match r {
                Ok(s) => s,
                Err(e) => {
                    // Out of file descriptors (or the like): wait a little rather than spin, and
                    // say so now and then, not once per attempt.
                    if accept_errors_logged.elapsed() >= Duration::from_secs(10) {
                        warn!("the HTTP endpoint cannot accept connections: {e}");
                        accept_errors_logged = tokio::time::Instant::now();
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let (permit, service, timeout, keep_alive) = match slots.clone().try_acquire_owned() {
            Ok(p) => (p, app.clone(), limits.timeout, true),
            Err(_) => match spare.clone().try_acquire_owned() {
                Ok(p) => {
                    METRICS.http_connections_shed.inc();
                    (p, shed.clone(), SPARE_TIMEOUT.min(limits.timeout), false)
                }
                Err(_) => {
                    METRICS.http_connections_refused.inc();
                    drop(stream);
                    continue;
                }
            },
        };
        let (finish, close) = (finish.clone(), close.clone());
        peak.fetch_max(connections.len() + 1, Ordering::Relaxed);
        connections.spawn(async move {
            let _permit = permit;
            METRICS.http_connections.inc();
            let mut builder = http1::Builder::new();
            builder.timer(TokioTimer::new()).header_read_timeout(timeout).keep_alive(keep_alive).max_buf_size(MAX_BUF);
            let conn = builder.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
            tokio::pin!(conn);
            let mut finishing = false;
            loop {
                tokio::select! {
                    biased;
                    () = close.cancelled() => break,
                    () = finish.cancelled(), if !finishing => {
                        finishing = true;
                        conn.as_mut().graceful_shutdown();
                    }
                    _ = conn.as_mut() => break,
                }
            }
            METRICS.http_connections.dec();
        });
    }
    drop(listener);
    trim.abort();
    connections.close();
    finish.cancel();
    if tokio::time::timeout(DRAIN, connections.wait()).await.is_err() {
        info!(open = connections.len(), "closing the HTTP connections still open after {} s", DRAIN.as_secs());
        close.cancel();
        connections.wait().await;
    }
}
