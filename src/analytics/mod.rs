//! What the bot was asked and how people rated the answers: a record per answer served to a
//! person, votes, coverage gaps and usage statistics, in an embedded SQLite database (or a shared
//! PostgreSQL one, for replicas).
//!
//! Invariants:
//! - Writes never sit on an answer's path: [`Analytics::record`] and [`Analytics::vote`] put the
//!   record on a bounded queue and return; one writer thread owns the write connection. A full queue
//!   drops the record (counted), it never blocks.
//! - A database fault never stops an answer: opening, migrating or writing may fail; the fault is
//!   logged once, then counted, and reported by [`Analytics::health`] (and so by `/stats`).
//! - User ids are stored hashed with a per-install salt (kept in the database); question text only
//!   with `store_questions`.
//!
//! Layout: `db` holds the schema, its migrations and every query; `gaps` groups unanswered questions;
//! this file is the handle transports and the dispatcher use.

mod db;
pub mod gaps;
mod pg;

pub use self::pg::client as pg_client;

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Serialize;
use tracing::{info, warn};

pub use self::db::{DayCount, FeatureCount, GapQuestion, is_postgres};
pub use self::gaps::{GapGroup, GapTerm};
use crate::answer::Answer;

/// How many records may wait for the writer before new ones are dropped.
const QUEUE: usize = 4096;
const DAY_MS: i64 = 86_400_000;

/// `[analytics]` settings.
#[derive(Debug, Clone, PartialEq)]
pub struct AnalyticsConfig {
    pub enabled: bool,
    /// The SQLite file (created with its directory on first use), or a `postgres://` URL.
    pub database: PathBuf,
    pub store_questions: bool,
    pub retention_days: u32,
}

/// Where an answer was served.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Origin {
    /// "discord", "shell", "cli".
    pub transport: &'static str,
    pub guild: Option<u64>,
    pub channel: Option<u64>,
    /// Whether answers to this caller are recorded (`ask` only with `--record`).
    pub record: bool,
}

/// One answer as recorded.
#[derive(Debug, Clone)]
pub struct AnswerRecord {
    pub id: i64,
    pub at_ms: i64,
    pub transport: String,
    pub guild: Option<String>,
    pub channel: Option<String>,
    pub user_hash: String,
    pub question: Option<String>,
    pub kind: String,
    pub confidence: String,
    pub features: Vec<String>,
    pub top_section: Option<String>,
    pub latency_us: i64,
    pub revision: String,
}

#[derive(Debug, Clone)]
pub struct VoteRecord {
    pub answer_id: i64,
    pub user_hash: String,
    pub helpful: bool,
    pub comment: Option<String>,
    pub at_ms: i64,
}

enum Op {
    Answer(Box<AnswerRecord>),
    Vote(VoteRecord),
    /// Answers once everything queued before it is written (tests and shutdown).
    Flush(SyncSender<()>),
}

/// How the database is doing, for `/stats` and logs.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Health {
    pub enabled: bool,
    pub database: String,
    /// False when the database could not be opened or migrated: nothing is recorded.
    pub open: bool,
    pub write_failures: u64,
    pub dropped: u64,
    pub last_error: Option<String>,
}

#[derive(Default)]
struct Faults {
    write_failures: AtomicU64,
    dropped: AtomicU64,
    last_error: Mutex<Option<String>>,
}

impl Faults {
    /// Logs the first fault of a kind, counts every one.
    fn fail(&self, what: &str, e: &dyn std::fmt::Display) {
        self.fail_many(what, e, 1);
    }

    /// A fault that lost `records` records.
    fn fail_many(&self, what: &str, e: &dyn std::fmt::Display, records: u64) {
        let n = self.write_failures.fetch_add(records, Ordering::Relaxed);
        let message = format!("{what}: {e}");
        let mut last = self.last_error.lock().unwrap_or_else(|p| p.into_inner());
        if n == 0 || last.as_deref().is_none_or(|l| !same_kind(l, &message)) {
            warn!("analytics database: {message} (answers go on; further faults are counted in /stats)");
        }
        *last = Some(message);
    }
}

fn same_kind(a: &str, b: &str) -> bool {
    a.split(':').next() == b.split(':').next()
}

/// The handle: cheap to share, never fails an answer.
pub struct Analytics {
    cfg: AnalyticsConfig,
    tx: Option<SyncSender<Op>>,
    salt: String,
    open: bool,
    faults: Arc<Faults>,
    writer: Option<std::thread::JoinHandle<()>>,
    /// Wait for room in the queue instead of dropping a record (batch jobs, not live answers).
    lossless: bool,
}

impl Analytics {
    /// Opens (creating and migrating) the database and starts the writer. Never fails: a database
    /// that cannot be opened leaves analytics off, logged once and reported in [`Analytics::health`].
    pub fn open(cfg: AnalyticsConfig) -> Analytics {
        let faults = Arc::new(Faults::default());
        if !cfg.enabled {
            return Analytics::off(cfg, faults);
        }
        let mut conn = match db::Db::open(&cfg.database) {
            Ok(conn) => conn,
            Err(e) => {
                faults.fail(&format!("opening {}", shown_database(&cfg.database)), &e);
                return Analytics::off(cfg, faults);
            }
        };
        let salt = match conn.salt() {
            Ok(s) => s,
            Err(e) => {
                faults.fail("reading the salt", &e);
                return Analytics::off(cfg, faults);
            }
        };
        if let Err(e) = conn.purge(cutoff(cfg.retention_days)) {
            faults.fail("purging old records", &e);
        }
        let (tx, rx) = std::sync::mpsc::sync_channel(QUEUE);
        let (database, retention, f) = (cfg.database.clone(), cfg.retention_days, faults.clone());
        let writer = std::thread::Builder::new()
            .name("analytics-writer".into())
            .spawn(move || write_loop(conn, &database, rx, f, retention))
            .ok();
        info!(database = %shown_database(&cfg.database), "analytics on");
        Analytics { open: writer.is_some(), tx: Some(tx), salt, writer, cfg, faults, lossless: false }
    }

    /// Records nothing (off, or the database could not be opened: `faults` says why).
    fn off(cfg: AnalyticsConfig, faults: Arc<Faults>) -> Analytics {
        Analytics { cfg, tx: None, salt: String::new(), open: false, faults, writer: None, lossless: false }
    }

    /// Analytics off, for commands and tests that record nothing.
    pub fn disabled() -> Analytics {
        Analytics::open(AnalyticsConfig {
            enabled: false,
            database: PathBuf::new(),
            store_questions: false,
            retention_days: 90,
        })
    }

    /// For batch jobs (`ask --record -`): when the queue is full, wait for the writer rather than
    /// drop the record. Live transports never use this: an answer must not wait for the database.
    pub fn lossless(mut self) -> Self {
        self.lossless = true;
        self
    }

    /// A user id hashed with this install's salt.
    pub fn user_hash(&self, user: &str) -> String {
        use sha2::{Digest, Sha256};
        let digest = Sha256::digest(format!("{}:{user}", self.salt).as_bytes());
        crate::corpus::hex(&digest[..12])
    }

    /// Queues a record of `answer`, served to `user` from `origin` in `latency`; returns the record's
    /// id (what feedback buttons carry), or `None` when analytics are off.
    pub fn record(&self, answer: &Answer, user: &str, origin: &Origin, latency: Duration) -> Option<i64> {
        let tx = self.tx.as_ref()?;
        let id = new_id();
        let rec = AnswerRecord {
            id,
            at_ms: now_ms(),
            transport: origin.transport.to_owned(),
            guild: origin.guild.map(|g| g.to_string()),
            channel: origin.channel.map(|c| c.to_string()),
            user_hash: self.user_hash(user),
            question: self.cfg.store_questions.then(|| answer.question.clone()),
            kind: answer.kind.as_str().to_owned(),
            confidence: answer.confidence.as_str().to_owned(),
            features: answer.verdicts.iter().map(|v| v.feature.clone()).collect(),
            top_section: answer.sources.first().map(|s| s.section.clone()),
            latency_us: latency.as_micros().min(i64::MAX as u128) as i64,
            revision: answer.revision.clone(),
        };
        self.send(tx, Op::Answer(Box::new(rec)));
        Some(id)
    }

    /// Queues a vote; a second vote by the same person on the same answer replaces the first.
    pub fn vote(&self, answer_id: i64, user: &str, helpful: bool, comment: Option<String>) -> bool {
        let Some(tx) = &self.tx else { return false };
        let comment = comment.map(|c| c.trim().chars().take(1000).collect::<String>()).filter(|c| !c.is_empty());
        self.send(
            tx,
            Op::Vote(VoteRecord { answer_id, user_hash: self.user_hash(user), helpful, comment, at_ms: now_ms() }),
        );
        true
    }

    fn send(&self, tx: &SyncSender<Op>, op: Op) {
        if self.lossless {
            if tx.send(op).is_err() {
                self.faults.dropped.fetch_add(1, Ordering::Relaxed);
            }
            return;
        }
        match tx.try_send(op) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                if self.faults.dropped.fetch_add(1, Ordering::Relaxed) == 0 {
                    warn!("analytics queue full: dropping records (the database is slow or stuck)");
                }
            }
            Err(TrySendError::Disconnected(_)) => {
                self.faults.dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// Waits (up to `timeout`) until everything queued so far is written.
    pub fn flush(&self, timeout: Duration) -> bool {
        let Some(tx) = &self.tx else { return true };
        let (done_tx, done_rx) = std::sync::mpsc::sync_channel(1);
        if tx.send(Op::Flush(done_tx)).is_err() {
            return false;
        }
        done_rx.recv_timeout(timeout).is_ok()
    }

    pub fn health(&self) -> Health {
        Health {
            enabled: self.cfg.enabled,
            database: shown_database(&self.cfg.database),
            open: self.open,
            write_failures: self.faults.write_failures.load(Ordering::Relaxed),
            dropped: self.faults.dropped.load(Ordering::Relaxed),
            last_error: self.faults.last_error.lock().unwrap_or_else(|p| p.into_inner()).clone(),
        }
    }

    fn reader(&self) -> Result<db::Db, AnalyticsError> {
        // (A PostgreSQL URL is opened as a server, anything else as a file.)
        if !self.cfg.enabled {
            return Err(AnalyticsError::Off);
        }
        db::Db::open_read(&self.cfg.database).map_err(|e| AnalyticsError::Db(e.to_string()))
    }

    /// The latest `limit` questions declined, answered with low confidence or voted down in the last
    /// `days` (oldest first), and how many there were in all.
    pub fn gap_questions(&self, days: u32, limit: usize) -> Result<(Vec<GapQuestion>, usize), AnalyticsError> {
        self.reader()?.gap_questions(cutoff(days), limit).map_err(|e| AnalyticsError::Db(e.to_string()))
    }

    /// Usage over the last `days`.
    pub fn stats(&self, days: u32) -> Result<Stats, AnalyticsError> {
        let mut db = self.reader()?;
        let since = cutoff(days);
        let q = |e: db::DbError| AnalyticsError::Db(e.to_string());
        let (up, down) = db.votes(since).map_err(q)?;
        let mut latencies = db.latencies(since).map_err(q)?;
        latencies.sort_unstable();
        let pct = |p: f64| -> Option<f64> {
            (!latencies.is_empty())
                .then(|| latencies[((latencies.len() - 1) as f64 * p).round() as usize] as f64 / 1000.0)
        };
        Ok(Stats {
            days,
            answers: latencies.len() as u64,
            per_day: db.per_day(since).map_err(q)?,
            top_features: db.top_features(since, 10).map_err(q)?,
            helpful: up,
            unhelpful: down,
            helpful_ratio: (up + down > 0).then(|| up as f64 / (up + down) as f64),
            latency_p50_ms: pct(0.5),
            latency_p99_ms: pct(0.99),
            health: self.health(),
        })
    }
}

impl Drop for Analytics {
    fn drop(&mut self) {
        // Closing the queue ends the writer once it has written what is queued.
        self.tx = None;
        if let Some(w) = self.writer.take() {
            let _ = w.join();
        }
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AnalyticsError {
    #[error("analytics are off ([analytics] enabled = false in bot.toml)")]
    Off,
    #[error("the analytics database cannot be read: {0}")]
    Db(String),
}

/// What `/stats` reports.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Stats {
    pub days: u32,
    pub answers: u64,
    pub per_day: Vec<DayCount>,
    pub top_features: Vec<FeatureCount>,
    pub helpful: u64,
    pub unhelpful: u64,
    pub helpful_ratio: Option<f64>,
    pub latency_p50_ms: Option<f64>,
    pub latency_p99_ms: Option<f64>,
    pub health: Health,
}

/// Records written per transaction at most.
const BATCH: usize = 512;

fn write_loop(
    mut conn: db::Db,
    database: &std::path::Path,
    rx: Receiver<Op>,
    faults: Arc<Faults>,
    retention_days: u32,
) {
    let mut last_purge = std::time::Instant::now();
    while let Ok(first) = rx.recv() {
        // Everything already queued goes in the same transaction.
        let mut ops = vec![first];
        while ops.len() < BATCH {
            match rx.try_recv() {
                Ok(op) => ops.push(op),
                Err(_) => break,
            }
        }
        let answers: Vec<&AnswerRecord> =
            ops.iter().filter_map(|o| if let Op::Answer(a) = o { Some(a.as_ref()) } else { None }).collect();
        let votes: Vec<&VoteRecord> =
            ops.iter().filter_map(|o| if let Op::Vote(v) = o { Some(v) } else { None }).collect();
        if (!answers.is_empty() || !votes.is_empty())
            && let Err(e) = conn.write_batch(&answers, &votes)
        {
            faults.fail_many("recording answers and votes", &e, (answers.len() + votes.len()) as u64);
            // A server connection that dropped (restart, failover) is opened again for the next batch.
            if conn.is_closed()
                && let Ok(again) = db::Db::open(database)
            {
                conn = again;
            }
        }
        for op in ops {
            if let Op::Flush(done) = op {
                let _ = done.send(());
            }
        }
        if last_purge.elapsed() >= Duration::from_millis(DAY_MS as u64) {
            last_purge = std::time::Instant::now();
            if let Err(e) = conn.purge(cutoff(retention_days)) {
                faults.fail("purging old records", &e);
            }
        }
    }
}

/// The database as messages show it: a file's path, or a server's user, hosts, ports and database
/// name (never a password, wherever the URL put it, nor other parameters).
pub fn shown_database(database: &std::path::Path) -> String {
    if !is_postgres(database) {
        return database.display().to_string();
    }
    let Ok(c) = database.to_str().unwrap_or_default().parse::<postgres::Config>() else {
        return "postgres://(a URL that does not parse)".into();
    };
    let hosts: Vec<String> = c
        .get_hosts()
        .iter()
        .zip(c.get_ports().iter().chain(std::iter::repeat(&5432)))
        .map(|(h, p)| match h {
            postgres::config::Host::Tcp(h) => format!("{h}:{p}"),
            postgres::config::Host::Unix(path) => format!("{}:{p}", path.display()),
        })
        .collect();
    format!(
        "postgres://{}{}/{}",
        c.get_user().map(|u| format!("{u}@")).unwrap_or_default(),
        hosts.join(","),
        c.get_dbname().unwrap_or_default()
    )
}

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

/// The earliest time, in Unix ms, that the last `days` days cover.
fn cutoff(days: u32) -> i64 {
    now_ms() - i64::from(days) * DAY_MS
}

/// A positive 53-bit id (exact in JSON numbers and JavaScript), random so that replicas sharing a
/// database never collide in practice.
fn new_id() -> i64 {
    (rand::random::<u64>() >> 11).max(1) as i64
}
