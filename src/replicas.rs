//! Replicas sharing one PostgreSQL database (`[analytics] database = "postgres://..."`) tell each
//! other about re-indexes with `LISTEN`/`NOTIFY`: a `/reindex` on one replica rebuilds its own index,
//! then announces it; every other replica rebuilds from its corpus directory (shared storage) and
//! answers with the revision it switched to, which the admin's report lists.
//!
//! Channels: `productbot_reindex` (payload: the announcing replica's id) and `productbot_reindexed`
//! (payload: `ANNOUNCER REPLICA ok REVISION` or `ANNOUNCER REPLICA failed MESSAGE`). Listening
//! replicas keep a heartbeat row in `productbot_replicas`, so an announcement knows how many reports
//! to wait for (none: it returns at once).
//!
//! Joining never waits for the database: the listening thread connects on its own, and again (every
//! few seconds) whenever the connection is lost or could not be made, so a replica started while
//! the database was down joins when it comes back. Every statement is bounded in time
//! (`analytics::PgConn`).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde::Serialize;
use tracing::{info, warn};

use crate::analytics::PgConn;
use crate::store::Store;

const REINDEX: &str = "productbot_reindex";
const REINDEXED: &str = "productbot_reindexed";
/// How often a listening replica says it is alive, and after how long without that it counts as gone.
const HEARTBEAT: Duration = Duration::from_secs(5);
const ALIVE: Duration = Duration::from_secs(20);
const PRESENCE: &str = "CREATE TABLE IF NOT EXISTS productbot_replicas (id TEXT PRIMARY KEY, seen_ms BIGINT NOT NULL)";

fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

/// Replicas' errors: the database's, as text naming it (never its password).
pub type DbError = crate::analytics::DbError;

fn heartbeat(conn: &mut PgConn, id: &str) -> Result<(), DbError> {
    conn.run(async |c| {
        c.execute(
            "INSERT INTO productbot_replicas (id, seen_ms) VALUES ($1, $2)
             ON CONFLICT (id) DO UPDATE SET seen_ms = excluded.seen_ms",
            &[&id, &now_ms()],
        )
        .await
        .map(|_| ())
    })
}

/// A listening connection: the presence table exists, this replica's heartbeat is written, and it
/// listens for announcements.
fn listen_on(url: &str, id: &str) -> Result<PgConn, DbError> {
    let mut conn = PgConn::connect(url)?;
    conn.run(async |c| c.batch_execute(PRESENCE).await)?;
    heartbeat(&mut conn, id)?;
    conn.run(async |c| c.batch_execute(&format!("LISTEN {REINDEX}")).await)?;
    Ok(conn)
}

/// What another replica did after an announcement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReplicaReport {
    pub replica: String,
    /// The corpus revision it now serves; `None` when its re-index failed.
    pub revision: Option<String>,
    pub error: Option<String>,
}

/// This replica's membership: its id, and the thread that listens for the others' announcements.
pub struct Replicas {
    url: String,
    id: String,
    stop: Arc<AtomicBool>,
    listening: Arc<AtomicBool>,
    listener: Option<JoinHandle<()>>,
}

fn new_id() -> String {
    format!("{}-{:08x}", std::process::id(), rand::random::<u32>())
}

impl Replicas {
    /// Announces only (the command line's `productbot reindex`): listens to nobody.
    pub fn announcer(url: &str) -> Replicas {
        Replicas {
            url: url.to_owned(),
            id: new_id(),
            stop: Arc::new(AtomicBool::new(true)),
            listening: Arc::new(AtomicBool::new(false)),
            listener: None,
        }
    }

    /// Joins the replicas on `url`: from the moment the listening thread is connected (at once, or
    /// when the database comes back), an announcement by another replica re-indexes `store`.
    /// Returns at once.
    pub fn join(url: &str, store: Arc<Store>) -> Replicas {
        let id = new_id();
        let stop = Arc::new(AtomicBool::new(false));
        let listening = Arc::new(AtomicBool::new(false));
        let listener = {
            let (id, stop, listening, url) = (id.clone(), stop.clone(), listening.clone(), url.to_owned());
            std::thread::Builder::new()
                .name("replicas".into())
                .spawn(move || listen(&url, &id, &store, &stop, &listening))
                .map_err(|e| warn!("re-indexes will not reach other replicas: cannot start a thread: {e}"))
                .ok()
        };
        Replicas { url: url.to_owned(), id, stop, listening, listener }
    }

    /// Whether this replica is listening for announcements now.
    pub fn is_listening(&self) -> bool {
        self.listening.load(Ordering::SeqCst)
    }

    /// Tells the other replicas to re-index and collects their reports: one from each replica alive
    /// (by its heartbeat), or what came within `wait`. Fails (within the database's timeouts) when
    /// the database cannot be reached.
    pub fn announce(&self, wait: Duration) -> Result<Vec<ReplicaReport>, DbError> {
        let mut conn = PgConn::connect(&self.url)?;
        conn.run(async |c| c.batch_execute(PRESENCE).await)?;
        let alive_since = now_ms() - ALIVE.as_millis() as i64;
        let others: i64 = conn.run(async |c| {
            c.query_one(
                "SELECT COUNT(*)::BIGINT FROM productbot_replicas WHERE id <> $1 AND seen_ms >= $2",
                &[&self.id, &alive_since],
            )
            .await
            .map(|r| r.get(0))
        })?;
        if others == 0 {
            return Ok(Vec::new());
        }
        conn.run(async |c| c.batch_execute(&format!("LISTEN {REINDEXED}")).await)?;
        conn.run(async |c| c.execute("SELECT pg_notify($1, $2)", &[&REINDEX, &self.id]).await.map(|_| ()))?;
        let started = Instant::now();
        let mut reports = Vec::new();
        while (reports.len() as i64) < others {
            let left = wait.saturating_sub(started.elapsed());
            if left.is_zero() {
                break;
            }
            let Some(n) = conn.next_notification(left)? else { break };
            let mut parts = n.payload().splitn(4, ' ');
            let (Some(announcer), Some(replica), Some(outcome)) = (parts.next(), parts.next(), parts.next()) else {
                continue;
            };
            if announcer != self.id {
                continue;
            }
            let detail = parts.next().unwrap_or_default().to_owned();
            reports.push(ReplicaReport {
                replica: replica.to_owned(),
                revision: (outcome == "ok").then(|| detail.clone()),
                error: (outcome != "ok").then_some(detail),
            });
        }
        Ok(reports)
    }
}

impl Drop for Replicas {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(l) = self.listener.take() {
            let _ = l.join();
        }
    }
}

/// How often the listening thread tries to connect while it cannot.
const RECONNECT: Duration = Duration::from_secs(2);

/// The listening thread: connects (again, every [`RECONNECT`], whenever it must), re-indexes on
/// each announcement by another replica and reports back, and keeps its heartbeat.
fn listen(url: &str, id: &str, store: &Store, stop: &AtomicBool, listening: &AtomicBool) {
    let mut conn: Option<PgConn> = None;
    let mut beat = Instant::now();
    let mut logged = false;
    while !stop.load(Ordering::SeqCst) {
        let Some(c) = conn.as_mut() else {
            match listen_on(url, id) {
                Ok(c) => {
                    info!(replica = %id, "listening for re-indexes announced by other replicas");
                    conn = Some(c);
                    beat = Instant::now();
                    listening.store(true, Ordering::SeqCst);
                    logged = false;
                }
                Err(e) => {
                    if !std::mem::replace(&mut logged, true) {
                        warn!("re-indexes do not reach this replica until the database answers ({e}); trying again");
                    }
                    let until = Instant::now() + RECONNECT;
                    while Instant::now() < until && !stop.load(Ordering::SeqCst) {
                        std::thread::sleep(Duration::from_millis(50));
                    }
                }
            }
            continue;
        };
        if beat.elapsed() >= HEARTBEAT {
            beat = Instant::now();
            if let Err(e) = heartbeat(c, id) {
                warn!("lost the connection for re-index announcements ({e}); connecting again");
                conn = None;
                listening.store(false, Ordering::SeqCst);
                continue;
            }
        }
        let announcer = match c.next_notification(Duration::from_millis(250)) {
            Ok(Some(n)) => n.payload().to_owned(),
            Ok(None) => continue,
            Err(e) => {
                warn!("lost the connection for re-index announcements ({e}); connecting again");
                conn = None;
                listening.store(false, Ordering::SeqCst);
                continue;
            }
        };
        if announcer == id {
            continue;
        }
        let report = match store.reindex() {
            Ok(r) => {
                info!(from = %announcer, revision = %r.revision, "re-indexed on another replica's announcement");
                format!("{announcer} {id} ok {}", r.revision)
            }
            Err(e) => {
                warn!(from = %announcer, "re-index announced by another replica failed: {e}");
                let message: String = e.to_string().chars().take(500).collect();
                format!("{announcer} {id} failed {message}")
            }
        };
        if let Err(e) = c.run(async |c| c.execute("SELECT pg_notify($1, $2)", &[&REINDEXED, &report]).await.map(|_| ()))
        {
            warn!("could not report a re-index to the announcing replica: {e}");
        }
    }
    // Gone: no announcement waits for this replica any more.
    if let Some(c) = conn.as_mut() {
        let _ = c.run(async |c| c.execute("DELETE FROM productbot_replicas WHERE id = $1", &[&id]).await.map(|_| ()));
    }
}
