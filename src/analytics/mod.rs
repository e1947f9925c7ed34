//! What the bot was asked and how people rated the answers: a record per answer served to a
//! person, votes, coverage gaps and usage statistics, in an embedded SQLite database (or a shared
//! PostgreSQL one, for replicas).
//!
//! Invariants:
//! - Writes never sit on an answer's path: [`Analytics::record`] and [`Analytics::vote`] put the
//!   record on a bounded queue and return; one writer thread owns the write connection. A full queue
//!   drops the record (counted), it never blocks.
//! - A database fault never stops an answer, and nothing waits for the database: opening happens on
//!   the writer thread, which connects again (with growing pauses, up to a minute) whenever the
//!   database is unreachable, locked, or its file was deleted. Every record that could not be
//!   written is counted; the fault is logged once per kind, and reported by [`Analytics::health`]
//!   (so by `/stats` and `/metrics`), and in the database for other processes.
//! - User ids are stored as HMACs keyed with the install's key (`crate::key`), which is never in the
//!   database; question text and vote comments only with `store_questions`.
//!
//! Layout: `db` holds the schema, its migrations and every query (`pg` on PostgreSQL, over
//! `pgconn`'s bounded connection); `gaps` groups unanswered questions; this file is the handle
//! transports and the dispatcher use, and the writer thread.

mod db;
pub mod gaps;
mod live;
mod pg;
mod pgconn;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::Serialize;
use tracing::{info, warn};

pub use self::db::{DayCount, DbError, FeatureCount, GapQuestion, WriterReport, is_postgres};
pub use self::gaps::{GapGroup, GapTerm};
pub use self::pgconn::{PgConn, TIMEOUT as DB_TIMEOUT};
use crate::answer::Answer;
use crate::key::InstallKey;

/// How many records may wait for the writer before new ones are dropped.
/// How long a report waits for the writer's first open of the database.
const READ_WAIT: Duration = Duration::from_secs(3);
const QUEUE: usize = 4096;
const DAY_MS: i64 = 86_400_000;
/// The writer's pauses between attempts to reach the database: doubling from the first to the last.
const FIRST_RETRY: Duration = Duration::from_millis(500);
const LAST_RETRY: Duration = Duration::from_secs(60);
/// How often the writer wakes with nothing queued: to notice a deleted file, retry, report.
const TICK: Duration = Duration::from_secs(2);
/// How often at most the writer writes its health to the database.
const REPORT_EVERY: Duration = Duration::from_secs(10);

/// `[analytics]` settings.
#[derive(Debug, Clone, PartialEq)]
pub struct AnalyticsConfig {
    pub enabled: bool,
    /// The SQLite file (created with its directory on first use), or a `postgres://` URL.
    pub database: PathBuf,
    pub store_questions: bool,
    pub retention_days: u32,
    /// The install's key (user pseudonyms, button tags), created with mode 0600 on first use.
    pub key_file: PathBuf,
}

/// The `state` key prefix that marks an answer handed to people (`commands::handover`): value
/// `open`, then `resolved`. `/gaps` lists those answers and `/stats` counts them.
pub const ESCALATED_PREFIX: &str = "escalated:";

/// Where an answer was served.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Origin {
    /// "discord", "shell", "cli".
    pub transport: &'static str,
    pub guild: Option<u64>,
    pub channel: Option<u64>,
    /// The channel a thread or forum post is in, when known: a channel limited to some articles
    /// limits its threads too.
    pub parent: Option<u64>,
    /// Whether answers to this caller are recorded (`ask` only with `--record`).
    pub record: bool,
    /// The Discord interaction this answers: its record's id is derived from it, so that the same
    /// interaction delivered twice (to two replicas) is recorded once.
    pub interaction: Option<u64>,
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

/// A piece of state the service keeps in the database (conversations, threads): replaced by key.
#[derive(Debug, Clone)]
pub struct StateRecord {
    pub key: String,
    pub value: String,
    pub at_ms: i64,
}

enum Op {
    Answer(Box<AnswerRecord>),
    Vote(VoteRecord),
    State(StateRecord),
    /// Answers once everything queued before it is written (tests and shutdown).
    Flush(SyncSender<()>),
}

/// How the database is doing, for `/stats` and logs.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Health {
    pub enabled: bool,
    pub database: String,
    /// Whether this process's writer is connected to the database now (false: records are being
    /// lost, and the writer keeps trying).
    pub open: bool,
    /// Records this process could not write.
    pub write_failures: u64,
    /// Records this process dropped because the queue was full.
    pub dropped: u64,
    pub last_error: Option<String>,
    /// Other processes writing to the same database that reported faults in the period asked
    /// about (filled by [`Analytics::stats`]).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub others: Vec<WriterReport>,
}

/// What the writer and the handle share.
#[derive(Default)]
struct Status {
    write_failures: AtomicU64,
    dropped: AtomicU64,
    last_error: Mutex<Option<String>>,
    connected: AtomicBool,
}

impl Status {
    /// Logs the first fault of a kind (and the first after a different one), keeps it as the last
    /// error; loses no record.
    fn fault(&self, what: &str, e: &dyn std::fmt::Display) {
        let message = format!("{what}: {e}");
        let mut last = self.last_error.lock().unwrap_or_else(|p| p.into_inner());
        if last.as_deref().is_none_or(|l| !same_kind(l, &message)) {
            warn!("analytics database: {message} (answers go on; further faults are counted in /stats)");
        }
        *last = Some(message);
    }

    /// A fault that lost `records` records: counted, and logged as [`Status::fault`] does.
    fn lose(&self, what: &str, e: &dyn std::fmt::Display, records: u64) {
        // The error first: whoever sees the count sees why.
        self.fault(what, e);
        self.write_failures.fetch_add(records, Ordering::Release);
    }
}

fn same_kind(a: &str, b: &str) -> bool {
    a.split(':').next() == b.split(':').next()
}

/// The handle: cheap to share, never fails an answer.
pub struct Analytics {
    cfg: AnalyticsConfig,
    tx: Option<SyncSender<Op>>,
    key: Arc<InstallKey>,
    status: Arc<Status>,
    /// This process's name in the database's `writers` table.
    process: String,
    writer: Option<std::thread::JoinHandle<()>>,
    /// Wait for room in the queue instead of dropping a record (batch jobs, not live answers).
    lossless: bool,
    /// Reads on an answer's path, each bounded (started on first use).
    live: std::sync::OnceLock<live::Live>,
}

impl Analytics {
    /// Starts the writer, which opens (creating and migrating) the database on its own thread and
    /// keeps trying while it cannot. Returns at once and never fails: faults are logged, counted
    /// and reported in [`Analytics::health`].
    pub fn open(cfg: AnalyticsConfig) -> Analytics {
        if !cfg.enabled {
            return Analytics::off(cfg);
        }
        let key = Arc::new(InstallKey::load_or_ephemeral(&cfg.key_file));
        let status = Arc::new(Status::default());
        let process = process_name();
        let (tx, rx) = std::sync::mpsc::sync_channel(QUEUE);
        let writer = {
            let (cfg, status, process) = (cfg.clone(), status.clone(), process.clone());
            std::thread::Builder::new()
                .name("analytics-writer".into())
                .spawn(move || Writer::new(cfg, status, process).run(rx))
        };
        let writer = match writer {
            Ok(w) => Some(w),
            Err(e) => {
                status.fault("starting the writer", &e);
                None
            }
        };
        info!(database = %shown_database(&cfg.database), "analytics on");
        Analytics {
            tx: writer.as_ref().map(|_| tx),
            writer,
            key,
            status,
            process,
            cfg,
            lossless: false,
            live: std::sync::OnceLock::new(),
        }
    }

    /// Records nothing.
    fn off(cfg: AnalyticsConfig) -> Analytics {
        Analytics {
            cfg,
            tx: None,
            key: Arc::new(InstallKey::ephemeral()),
            status: Arc::new(Status::default()),
            process: String::new(),
            writer: None,
            lossless: false,
            live: std::sync::OnceLock::new(),
        }
    }

    /// Analytics off, for commands and tests that record nothing.
    pub fn disabled() -> Analytics {
        Analytics::off(AnalyticsConfig {
            enabled: false,
            database: PathBuf::new(),
            store_questions: false,
            retention_days: 90,
            key_file: PathBuf::new(),
        })
    }

    /// For batch jobs (`ask --record -`): when the queue is full, wait for the writer rather than
    /// drop the record. Live transports never use this: an answer must not wait for the database.
    pub fn lossless(mut self) -> Self {
        self.lossless = true;
        self
    }

    /// A user id as it is recorded: an HMAC keyed with the install's key.
    pub fn user_hash(&self, user: &str) -> String {
        self.key.user_hash(user)
    }

    /// Whether free text (questions, vote comments) is kept.
    pub fn stores_text(&self) -> bool {
        self.cfg.enabled && self.cfg.store_questions
    }

    /// Waits (up to `timeout`) until the writer is connected to the database.
    pub fn wait_connected(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while !self.status.connected.load(Ordering::SeqCst) {
            if Instant::now() >= deadline || self.tx.is_none() {
                return false;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        true
    }

    /// Queues a record of `answer`, served to `user` from `origin` in `latency`; returns the record's
    /// id (what feedback buttons carry), or `None` when analytics are off.
    pub fn record(&self, answer: &Answer, user: &str, origin: &Origin, latency: Duration) -> Option<i64> {
        let tx = self.tx.as_ref()?;
        let id = origin.interaction.map_or_else(new_id, id_of_interaction);
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

    /// Queues `value` to be stored under `key` (replacing what was there). False when analytics
    /// are off (nothing is kept).
    pub fn put_state(&self, key: &str, value: &str) -> bool {
        let Some(tx) = &self.tx else { return false };
        let rec = StateRecord { key: key.to_owned(), value: value.to_owned(), at_ms: now_ms() };
        self.send(tx, Op::State(rec));
        true
    }

    /// What is stored under `key`, with when (Unix ms). Bounded ([`live::DEADLINE`]; a database
    /// that failed is not asked again for a while) and never waits for the writer's first open: a
    /// database without the table yet, slow or unreachable, is an error the caller gets past.
    pub fn state(&self, key: &str) -> Result<Option<(String, i64)>, AnalyticsError> {
        let key = key.to_owned();
        self.live()?.call(move |db| db.state(&key)).map_err(|e| self.unreadable(e))
    }

    /// Counts a question by `user` now in the cooldown window every replica on this PostgreSQL
    /// database shares, or says how long until the next is allowed; `Err` (the caller counts
    /// locally) on SQLite, or when the database cannot say within the deadline.
    pub fn cooldown_take(
        &self,
        user: &str,
        window: Duration,
        max: u32,
    ) -> Result<Result<(), Duration>, AnalyticsError> {
        if !is_postgres(&self.cfg.database) {
            return Err(AnalyticsError::Off);
        }
        let user = self.user_hash(user);
        let window_ms = window.as_millis().min(i64::MAX as u128) as i64;
        let wait = self
            .live()?
            .call(move |db| db.cooldown_take(&user, now_ms(), window_ms, i64::from(max.max(1))))
            .map_err(|e| self.unreadable(e))?;
        Ok(wait.map_or(Ok(()), |ms| Err(Duration::from_millis(ms.max(1) as u64))))
    }

    fn live(&self) -> Result<&live::Live, AnalyticsError> {
        if !self.cfg.enabled {
            return Err(AnalyticsError::Off);
        }
        Ok(self.live.get_or_init(|| live::Live::start(self.cfg.database.clone())))
    }

    /// Queues a vote; a second vote by the same person on the same answer replaces the first. The
    /// comment is kept only with `store_questions`.
    pub fn vote(&self, answer_id: i64, user: &str, helpful: bool, comment: Option<String>) -> bool {
        let Some(tx) = &self.tx else { return false };
        let comment = comment
            .filter(|_| self.cfg.store_questions)
            .map(|c| c.trim().chars().take(1000).collect::<String>())
            .filter(|c| !c.is_empty());
        self.send(
            tx,
            Op::Vote(VoteRecord { answer_id, user_hash: self.user_hash(user), helpful, comment, at_ms: now_ms() }),
        );
        true
    }

    fn send(&self, tx: &SyncSender<Op>, op: Op) {
        if self.lossless {
            if tx.send(op).is_err() {
                self.status.dropped.fetch_add(1, Ordering::Relaxed);
            }
            return;
        }
        match tx.try_send(op) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                if self.status.dropped.fetch_add(1, Ordering::Relaxed) == 0 {
                    warn!("analytics queue full: dropping records (the database is slow or stuck)");
                }
            }
            Err(TrySendError::Disconnected(_)) => {
                self.status.dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// Waits (up to `timeout`) until everything queued so far is written (or counted as lost).
    pub fn flush(&self, timeout: Duration) -> bool {
        let Some(tx) = &self.tx else { return true };
        let (done_tx, done_rx) = std::sync::mpsc::sync_channel(1);
        let deadline = Instant::now() + timeout;
        // The queue may be full: wait for room, but not past the deadline.
        let mut op = Op::Flush(done_tx);
        loop {
            match tx.try_send(op) {
                Ok(()) => break,
                Err(TrySendError::Full(back)) if Instant::now() < deadline => {
                    op = back;
                    std::thread::sleep(Duration::from_millis(5));
                }
                Err(_) => return false,
            }
        }
        done_rx.recv_timeout(deadline.saturating_duration_since(Instant::now())).is_ok()
    }

    /// How this process's writer is doing.
    pub fn health(&self) -> Health {
        let s = &self.status;
        Health {
            enabled: self.cfg.enabled,
            database: shown_database(&self.cfg.database),
            open: s.connected.load(Ordering::SeqCst),
            write_failures: s.write_failures.load(Ordering::Acquire),
            dropped: s.dropped.load(Ordering::Relaxed),
            last_error: s.last_error.lock().unwrap_or_else(|p| p.into_inner()).clone(),
            others: Vec::new(),
        }
    }

    fn reader(&self) -> Result<db::Db, AnalyticsError> {
        // (A PostgreSQL URL is opened as a server, anything else as a file.)
        if !self.cfg.enabled {
            return Err(AnalyticsError::Off);
        }
        // The writer creates the tables when it first opens the database, on its own thread: a
        // report asked for just after start waits for that (briefly: a database that is down is
        // reported, not waited on).
        self.wait_connected(READ_WAIT);
        db::Db::open_read(&self.cfg.database).map_err(|e| self.unreadable(e))
    }

    fn unreadable(&self, e: db::DbError) -> AnalyticsError {
        AnalyticsError::Db { database: shown_database(&self.cfg.database), message: e.to_string() }
    }

    /// The latest `limit` questions declined, answered with low confidence or voted down in the last
    /// `days` (oldest first), and how many there were in all.
    /// With `guild`, that server's only (a report asked for on Discord covers its server).
    pub fn gap_questions(
        &self,
        days: u32,
        limit: usize,
        guild: Option<u64>,
    ) -> Result<(Vec<GapQuestion>, usize), AnalyticsError> {
        self.reader()?.gap_questions(&window(days, guild), limit).map_err(|e| self.unreadable(e))
    }

    /// Usage over the last `days`; with `guild`, that server's answers only (the database's health
    /// is the install's).
    pub fn stats(&self, days: u32, guild: Option<u64>) -> Result<Stats, AnalyticsError> {
        let mut db = self.reader()?;
        let w = window(days, guild);
        let since = w.since;
        let q = |e: db::DbError| self.unreadable(e);
        let (up, down) = db.votes(&w).map_err(q)?;
        let (escalated, escalations_resolved) = db.escalations(&w).map_err(q)?;
        let mut latencies = db.latencies(&w).map_err(q)?;
        latencies.sort_unstable();
        let pct = |p: f64| -> Option<f64> {
            (!latencies.is_empty())
                .then(|| latencies[((latencies.len() - 1) as f64 * p).round() as usize] as f64 / 1000.0)
        };
        let mut health = self.health();
        health.others = db
            .writers(since)
            .map_err(q)?
            .into_iter()
            .filter(|w| w.process != self.process && (w.write_failures > 0 || w.dropped > 0))
            .collect();
        Ok(Stats {
            days,
            answers: latencies.len() as u64,
            per_day: db.per_day(&w).map_err(q)?,
            top_features: db.top_features(&w, 10).map_err(q)?,
            helpful: up,
            unhelpful: down,
            helpful_ratio: (up + down > 0).then(|| up as f64 / (up + down) as f64),
            escalated,
            escalations_resolved,
            latency_p50_ms: pct(0.5),
            latency_p99_ms: pct(0.99),
            health,
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
    #[error("the analytics database {database} cannot be read: {message}")]
    Db { database: String, message: String },
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
    /// Questions handed to people, and how many of those were handed back.
    pub escalated: u64,
    pub escalations_resolved: u64,
    pub latency_p50_ms: Option<f64>,
    pub latency_p99_ms: Option<f64>,
    pub health: Health,
}

/// Records written per transaction at most.
const BATCH: usize = 512;

/// The writer thread's state: its connection (if any) and when to try again without one.
struct Writer {
    cfg: AnalyticsConfig,
    status: Arc<Status>,
    db: Option<db::Db>,
    next_attempt: Instant,
    retry: Duration,
    /// Records lost since the connection was last up (said when it comes back).
    lost_while_down: u64,
    last_purge: Option<Instant>,
    report: WriterReport,
    last_report: Option<Instant>,
}

impl Writer {
    fn new(cfg: AnalyticsConfig, status: Arc<Status>, process: String) -> Writer {
        let now = now_ms();
        let report =
            WriterReport { process, started_ms: now, updated_ms: now, write_failures: 0, dropped: 0, last_error: None };
        Writer {
            cfg,
            status,
            db: None,
            next_attempt: Instant::now(),
            retry: FIRST_RETRY,
            lost_while_down: 0,
            last_purge: None,
            report,
            last_report: None,
        }
    }

    fn shown(&self) -> String {
        shown_database(&self.cfg.database)
    }

    fn run(mut self, rx: Receiver<Op>) {
        loop {
            self.connect_if_due();
            let wait = if self.db.is_some() {
                TICK
            } else {
                self.next_attempt.saturating_duration_since(Instant::now()).clamp(Duration::from_millis(1), TICK)
            };
            let first = match rx.recv_timeout(wait) {
                Ok(op) => op,
                Err(RecvTimeoutError::Timeout) => {
                    self.housekeeping();
                    continue;
                }
                Err(RecvTimeoutError::Disconnected) => break,
            };
            // Everything already queued goes in the same transaction.
            let mut ops = vec![first];
            while ops.len() < BATCH {
                match rx.try_recv() {
                    Ok(op) => ops.push(op),
                    Err(_) => break,
                }
            }
            self.write(&ops);
            for op in ops {
                if let Op::Flush(done) = op {
                    let _ = done.send(());
                }
            }
            self.housekeeping();
        }
        self.report_health(true);
    }

    /// Opens the database if there is no connection and the pause after the last attempt is over.
    fn connect_if_due(&mut self) {
        if self.db.as_ref().is_some_and(db::Db::replaced) {
            warn!(
                database = %self.shown(),
                "the analytics database file was deleted or replaced; starting a new one (records go there from now on)"
            );
            // Closing the old connection first lets SQLite clean up the old file's log.
            self.disconnected();
            self.next_attempt = Instant::now();
        }
        if self.db.is_some() || Instant::now() < self.next_attempt {
            return;
        }
        match db::Db::open(&self.cfg.database) {
            Ok(conn) => {
                if self.lost_while_down > 0 {
                    info!(
                        database = %self.shown(),
                        lost = self.lost_while_down,
                        "analytics database reachable again; records lost while it was not are counted in /stats"
                    );
                }
                self.db = Some(conn);
                self.retry = FIRST_RETRY;
                self.lost_while_down = 0;
                if self.last_purge.is_none() {
                    self.purge();
                }
                self.report_health(true);
                // Connected: migrated, and purged at start.
                self.status.connected.store(self.db.is_some(), Ordering::SeqCst);
            }
            Err(e) => {
                self.status.fault(&format!("opening {}", self.shown()), &e);
                self.next_attempt = Instant::now() + self.retry;
                self.retry = (self.retry * 2).min(LAST_RETRY);
            }
        }
    }

    fn disconnected(&mut self) {
        self.db = None;
        self.status.connected.store(false, Ordering::SeqCst);
    }

    fn write(&mut self, ops: &[Op]) {
        let answers: Vec<&AnswerRecord> =
            ops.iter().filter_map(|o| if let Op::Answer(a) = o { Some(a.as_ref()) } else { None }).collect();
        let votes: Vec<&VoteRecord> =
            ops.iter().filter_map(|o| if let Op::Vote(v) = o { Some(v) } else { None }).collect();
        let states: Vec<&StateRecord> =
            ops.iter().filter_map(|o| if let Op::State(s) = o { Some(s) } else { None }).collect();
        let n = (answers.len() + votes.len() + states.len()) as u64;
        if n == 0 {
            return;
        }
        self.connect_if_due();
        let Some(conn) = self.db.as_mut() else {
            // Counted; the cause (why it cannot be opened) is the error logged and shown already.
            self.lost_while_down += n;
            self.status.write_failures.fetch_add(n, Ordering::Relaxed);
            return;
        };
        if let Err(e) = conn.write_batch(&answers, &votes, &states) {
            self.status.lose("recording answers and votes", &e, n);
            // A server connection that dropped (restart, failover, no answer) is opened again.
            if conn.is_closed() {
                self.lost_while_down += n;
                self.disconnected();
                self.next_attempt = Instant::now();
            }
        }
    }

    /// The daily purge and the health report, when due.
    fn housekeeping(&mut self) {
        self.connect_if_due();
        if self.last_purge.is_some_and(|t| t.elapsed() >= Duration::from_millis(DAY_MS as u64)) {
            self.purge();
        }
        self.report_health(false);
    }

    fn purge(&mut self) {
        let Some(conn) = self.db.as_mut() else { return };
        self.last_purge = Some(Instant::now());
        if let Err(e) = conn.purge(cutoff(self.cfg.retention_days)) {
            self.status.fault("purging old records", &e);
            if conn.is_closed() {
                self.disconnected();
            }
        }
    }

    /// Writes this process's counters to the database when they changed (at most every
    /// [`REPORT_EVERY`], unless `now`), once it has lost a record: a process that never did has
    /// nothing to tell the others.
    fn report_health(&mut self, now: bool) {
        let Some(conn) = self.db.as_mut() else { return };
        let s = &self.status;
        let failures = s.write_failures.load(Ordering::Acquire) as i64;
        let dropped = s.dropped.load(Ordering::Relaxed) as i64;
        if failures == 0 && dropped == 0 {
            return;
        }
        let last_error = s.last_error.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let changed = self.last_report.is_none()
            || (failures, dropped, &last_error)
                != (self.report.write_failures, self.report.dropped, &self.report.last_error);
        let due = now || self.last_report.is_none_or(|t| t.elapsed() >= REPORT_EVERY);
        if !changed || !due {
            return;
        }
        self.report.updated_ms = now_ms();
        self.report.write_failures = failures;
        self.report.dropped = dropped;
        self.report.last_error = last_error;
        self.last_report = Some(Instant::now());
        if let Err(e) = conn.report(&self.report) {
            self.status.fault("reporting this process's health", &e);
        }
    }
}

/// This process as the `writers` table names it: `PID@HOST`, and a random suffix (one process may
/// open several handles).
fn process_name() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").map(|h| h.trim().to_owned()).unwrap_or_default();
    format!(
        "{}@{}-{:04x}",
        std::process::id(),
        if host.is_empty() { "localhost" } else { &host },
        rand::random::<u16>()
    )
}

/// The database as messages show it: a file's path, or a server's user, hosts, ports and database
/// name (never a password, wherever the URL put it, nor other parameters).
pub fn shown_database(database: &std::path::Path) -> String {
    if !is_postgres(database) {
        return database.display().to_string();
    }
    let Ok(c) = database.to_str().unwrap_or_default().parse::<tokio_postgres::Config>() else {
        return "postgres://(a URL that does not parse)".into();
    };
    let hosts: Vec<String> = c
        .get_hosts()
        .iter()
        .zip(c.get_ports().iter().chain(std::iter::repeat(&5432)))
        .map(|(h, p)| match h {
            tokio_postgres::config::Host::Tcp(h) => format!("{h}:{p}"),
            tokio_postgres::config::Host::Unix(path) => format!("{}:{p}", path.display()),
        })
        .collect();
    format!(
        "postgres://{}{}/{}",
        c.get_user().map(|u| format!("{u}@")).unwrap_or_default(),
        hosts.join(","),
        c.get_dbname().unwrap_or_default()
    )
}

/// Now, in Unix milliseconds.
pub fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

/// The earliest time, in Unix ms, that the last `days` days cover.
fn window(days: u32, guild: Option<u64>) -> db::Window {
    db::Window { since: cutoff(days), guild: guild.map(|g| g.to_string()) }
}

fn cutoff(days: u32) -> i64 {
    now_ms() - i64::from(days) * DAY_MS
}

/// A positive 53-bit id (exact in JSON numbers and JavaScript), random so that replicas sharing a
/// database never collide in practice.
fn new_id() -> i64 {
    (rand::random::<u64>() >> 11).max(1) as i64
}

/// The record id of the answer to a Discord interaction: the same on every replica, so a replayed
/// interaction that reaches another one is not recorded twice (`INSERT ... ON CONFLICT DO NOTHING`).
fn id_of_interaction(interaction: u64) -> i64 {
    use sha2::{Digest, Sha256};
    let d = Sha256::digest(format!("interaction:{interaction}").as_bytes());
    let n = u64::from_be_bytes(d[..8].try_into().expect("8 bytes"));
    (n >> 11).max(1) as i64
}
