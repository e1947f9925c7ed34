//! Replicas sharing one PostgreSQL database (`[analytics] database = "postgres://..."`) tell each
//! other about re-indexes with `LISTEN`/`NOTIFY`: a `/reindex` on one replica rebuilds its own index,
//! then announces it; every other replica rebuilds from its corpus directory (shared storage) and
//! answers with the revision it switched to, which the admin's report lists.
//!
//! Channels: `productbot_reindex` (payload: the announcing replica's id) and `productbot_reindexed`
//! (payload: `ANNOUNCER REPLICA ok REVISION` or `ANNOUNCER REPLICA failed MESSAGE`). Listening
//! replicas keep a heartbeat row in `productbot_replicas`, so an announcement knows how many reports
//! to wait for (none: it returns at once).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use postgres::Client;
use postgres::fallible_iterator::FallibleIterator;
use serde::Serialize;
use tracing::{info, warn};

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

fn heartbeat(client: &mut Client, id: &str) -> Result<(), postgres::Error> {
    client.execute(
        "INSERT INTO productbot_replicas (id, seen_ms) VALUES ($1, $2)
         ON CONFLICT (id) DO UPDATE SET seen_ms = excluded.seen_ms",
        &[&id, &now_ms()],
    )?;
    Ok(())
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
        let mut client = crate::analytics::pg_client(url)?;
        let id = new_id();
        client.batch_execute(PRESENCE)?;
        heartbeat(&mut client, &id)?;
        client.batch_execute(&format!("LISTEN {REINDEX}"))?;
        let stop = Arc::new(AtomicBool::new(false));
        let listener = {
            let (id, stop, url) = (id.clone(), stop.clone(), url.to_owned());
            std::thread::Builder::new()
                .name("replicas".into())
                .spawn(move || listen(client, &url, &id, &store, &stop))
                .ok()
        };
        info!(replica = %id, "listening for re-indexes announced by other replicas");
        Ok(Replicas { url: url.to_owned(), id, stop, listener })
    }

    /// Tells the other replicas to re-index and collects their reports: one from each replica alive
    /// (by its heartbeat), or what came within `wait`.
    pub fn announce(&self, wait: Duration) -> Result<Vec<ReplicaReport>, postgres::Error> {
        let mut client = crate::analytics::pg_client(&self.url)?;
        client.batch_execute(PRESENCE)?;
        let others: i64 = client
            .query_one(
                "SELECT COUNT(*)::BIGINT FROM productbot_replicas WHERE id <> $1 AND seen_ms >= $2",
                &[&self.id, &(now_ms() - ALIVE.as_millis() as i64)],
            )?
            .get(0);
        if others == 0 {
            return Ok(Vec::new());
        }
        client.batch_execute(&format!("LISTEN {REINDEXED}"))?;
        client.execute("SELECT pg_notify($1, $2)", &[&REINDEX, &self.id])?;
        let started = Instant::now();
        let mut reports = Vec::new();
        while started.elapsed() < wait && (reports.len() as i64) < others {
            let left = wait.saturating_sub(started.elapsed());
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
                if reports.len() as i64 >= others {
                    break;
                }
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

/// The listening thread: re-indexes on each announcement by another replica and reports back;
/// keeps its heartbeat; connects again (every few seconds) when the connection drops.
fn listen(mut client: Client, url: &str, id: &str, store: &Store, stop: &AtomicBool) {
    let mut beat = Instant::now();
    while !stop.load(Ordering::SeqCst) {
        if beat.elapsed() >= HEARTBEAT {
            beat = Instant::now();
            let _ = heartbeat(&mut client, id);
        }
        let next = {
            let mut notes = client.notifications();
            let next = notes.timeout_iter(Duration::from_millis(250)).next();
            next.map(|n| n.map(|n| n.payload().to_owned()))
        };
        let announcer = match next {
            Ok(Some(payload)) => payload,
            Ok(None) => continue,
            Err(e) => {
                warn!("lost the connection for re-index announcements ({e}); connecting again");
                client = loop {
                    if stop.load(Ordering::SeqCst) {
                        return;
                    }
                    std::thread::sleep(HEARTBEAT);
                    let again = crate::analytics::pg_client(url).and_then(|mut c| {
                        c.batch_execute(&format!("LISTEN {REINDEX}"))?;
                        Ok(c)
                    });
                    if let Ok(c) = again {
                        break c;
                    }
                };
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
        if let Err(e) = client.execute("SELECT pg_notify($1, $2)", &[&REINDEXED, &report]) {
            warn!("could not report a re-index to the announcing replica: {e}");
        }
    }
    // Gone: no announcement waits for this replica any more.
    let _ = client.execute("DELETE FROM productbot_replicas WHERE id = $1", &[&id]);
}
