//! Replicas sharing one PostgreSQL database (`[analytics] database = "postgres://..."`) tell each
//! other about re-indexes with `LISTEN`/`NOTIFY`: a `/reindex` on one replica rebuilds its own index,
//! then announces it; every other replica rebuilds from its corpus directory (shared storage) and
//! answers with the revision it switched to, which the admin's report lists.
//!
//! Channels: `productbot_reindex` (payload: the announcing replica's id) and `productbot_reindexed`
//! (payload: `ANNOUNCER REPLICA ok REVISION` or `ANNOUNCER REPLICA failed MESSAGE`).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use postgres::fallible_iterator::FallibleIterator;
use postgres::{Client, NoTls};
use serde::Serialize;
use tracing::{info, warn};

use crate::store::Store;

const REINDEX: &str = "productbot_reindex";
const REINDEXED: &str = "productbot_reindexed";
/// After the last report, how long an announcement waits for more.
const QUIET: Duration = Duration::from_millis(1500);

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
    listener: Option<JoinHandle<()>>,
}

fn new_id() -> String {
    format!("{}-{:08x}", std::process::id(), rand::random::<u32>())
}

impl Replicas {
    /// Announces only (the command line's `productbot reindex`): listens to nobody.
    pub fn announcer(url: &str) -> Replicas {
        Replicas { url: url.to_owned(), id: new_id(), stop: Arc::new(AtomicBool::new(true)), listener: None }
    }

    /// Joins the replicas on `url`: from now on an announcement by another one re-indexes `store`.
    /// Fails when the server cannot be reached (the caller logs it and serves on alone).
    pub fn join(url: &str, store: Arc<Store>) -> Result<Replicas, postgres::Error> {
        let mut client = Client::connect(url, NoTls)?;
        client.batch_execute(&format!("LISTEN {REINDEX}"))?;
        let id = new_id();
        let stop = Arc::new(AtomicBool::new(false));
        let listener = {
            let (id, stop) = (id.clone(), stop.clone());
            std::thread::Builder::new().name("replicas".into()).spawn(move || listen(client, &id, &store, &stop)).ok()
        };
        info!(replica = %id, "listening for re-indexes announced by other replicas");
        Ok(Replicas { url: url.to_owned(), id, stop, listener })
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    /// Tells the other replicas to re-index and collects their reports: until `wait` has passed,
    /// or [`QUIET`] after the last one.
    pub fn announce(&self, wait: Duration) -> Result<Vec<ReplicaReport>, postgres::Error> {
        let mut client = Client::connect(&self.url, NoTls)?;
        client.batch_execute(&format!("LISTEN {REINDEXED}"))?;
        client.execute("SELECT pg_notify($1, $2)", &[&REINDEX, &self.id])?;
        let started = Instant::now();
        let mut last = Instant::now();
        let mut reports = Vec::new();
        while started.elapsed() < wait && (reports.is_empty() || last.elapsed() < QUIET) {
            let left = wait.saturating_sub(started.elapsed()).min(QUIET);
            let mut notes = client.notifications();
            let mut it = notes.timeout_iter(left);
            while let Ok(Some(n)) = it.next() {
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
                last = Instant::now();
            }
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

/// The listening thread: re-indexes on each announcement by another replica and reports back.
fn listen(mut client: Client, id: &str, store: &Store, stop: &AtomicBool) {
    while !stop.load(Ordering::SeqCst) {
        let announcer = {
            let mut notes = client.notifications();
            match notes.timeout_iter(Duration::from_millis(250)).next() {
                Ok(Some(n)) => n.payload().to_owned(),
                Ok(None) => continue,
                Err(e) => {
                    warn!("lost the connection for re-index announcements: {e}");
                    return;
                }
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
        if let Err(e) = client.execute("SELECT pg_notify($1, $2)", &[&REINDEXED, &report]) {
            warn!("could not report a re-index to the announcing replica: {e}");
        }
    }
}
