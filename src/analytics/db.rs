//! The analytics database: SQLite in WAL mode (the default, [`Sqlite`]) or PostgreSQL (`pg.rs`, for
//! replicas sharing one database) behind [`Db`]; versioned migrations applied at open, and every query.
//! Schema (also in ARCHITECTURE.md):
//!
//! ```sql
//! meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)          -- nothing yet (the salt was here)
//! schema_migrations(version INTEGER PRIMARY KEY, applied_ms INTEGER NOT NULL)
//! answers(id INTEGER PRIMARY KEY, at_ms, transport, guild_id, channel_id, user_hash, question,
//!         kind, confidence, features, top_section, latency_us, revision)
//! votes(answer_id, user_hash, helpful, comment, at_ms, PRIMARY KEY(answer_id, user_hash))
//! writers(process TEXT PRIMARY KEY, started_ms, updated_ms, write_failures, dropped, last_error)
//! state(key TEXT PRIMARY KEY, value TEXT NOT NULL, at_ms INTEGER NOT NULL)  -- conversations, threads
//! cooldown(user_hash TEXT NOT NULL, at_ms INTEGER NOT NULL)  -- the shared cooldown (PostgreSQL only)
//! ```
//!
//! The SQLite writer runs with `secure_delete` on (deleted rows are overwritten with zeros) and
//! truncates the write-ahead log after each purge, so deleted text does not stay readable in the
//! files.

use std::path::Path;
use std::time::Duration;

/// How long an SQLite statement waits for a lock another connection holds.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

use rusqlite::{Connection, OpenFlags, params};
use serde::Serialize;

use super::{AnswerRecord, StateRecord, VoteRecord};

/// Each migration runs once, in order, in its own transaction; its index + 1 is its version.
/// Never edit one that shipped: add the next.
const MIGRATIONS: &[&str] = &[
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
     CREATE TABLE answers (
         id INTEGER PRIMARY KEY,
         at_ms INTEGER NOT NULL,
         transport TEXT NOT NULL,
         guild_id TEXT,
         channel_id TEXT,
         user_hash TEXT NOT NULL,
         question TEXT,
         kind TEXT NOT NULL,
         confidence TEXT NOT NULL,
         features TEXT NOT NULL,
         top_section TEXT,
         latency_us INTEGER NOT NULL,
         revision TEXT NOT NULL
     );
     CREATE INDEX answers_at ON answers (at_ms);
     CREATE TABLE votes (
         answer_id INTEGER NOT NULL,
         user_hash TEXT NOT NULL,
         helpful INTEGER NOT NULL,
         comment TEXT,
         at_ms INTEGER NOT NULL,
         PRIMARY KEY (answer_id, user_hash)
     );
     CREATE INDEX votes_at ON votes (at_ms);",
    // The salt moved out of the database (to the install's key file); each writing process reports
    // its health here, for the others' /stats.
    "DELETE FROM meta WHERE key = 'salt';
     CREATE TABLE writers (
         process TEXT PRIMARY KEY,
         started_ms INTEGER NOT NULL,
         updated_ms INTEGER NOT NULL,
         write_failures INTEGER NOT NULL,
         dropped INTEGER NOT NULL,
         last_error TEXT
     );",
    // Conversation state (the topic of a DM's, a thread's or a shell session's last question) and
    // the places the bot answers without a mention, shared by replicas and kept across restarts:
    // `key` says which ("conversation:...", "place:..."), `value` is what the service stored (ids,
    // never free text).
    "CREATE TABLE state (
         key TEXT PRIMARY KEY,
         value TEXT NOT NULL,
         at_ms INTEGER NOT NULL
     );
     CREATE INDEX state_at ON state (at_ms);
     CREATE TABLE cooldown (user_hash TEXT NOT NULL, at_ms INTEGER NOT NULL);
     CREATE INDEX cooldown_user ON cooldown (user_hash, at_ms);",
];

/// An SQLite connection, and for the writer the file it opened (to notice the file deleted or
/// replaced under it).
pub struct Sqlite {
    conn: Connection,
    file: Option<(std::path::PathBuf, FileId)>,
}

/// A file's identity: device and inode.
type FileId = (u64, u64);

fn file_id(path: &Path) -> Option<FileId> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

/// How one process that writes to the database is doing, as it last reported (for the other
/// processes' /stats).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct WriterReport {
    /// `PID@HOST` and a random suffix.
    pub process: String,
    pub started_ms: i64,
    pub updated_ms: i64,
    pub write_failures: i64,
    pub dropped: i64,
    pub last_error: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct DayCount {
    /// `YYYY-MM-DD`, UTC.
    pub day: String,
    pub kind: String,
    pub count: u64,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FeatureCount {
    pub feature: String,
    pub count: u64,
}

/// A question the bot could not answer well, for `/gaps`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GapQuestion {
    pub id: i64,
    pub question: Option<String>,
    pub kind: String,
    pub confidence: String,
    pub top_section: Option<String>,
    pub voted_down: bool,
    pub comment: Option<String>,
    /// Handed to people (`open`, then `resolved`), or not.
    pub escalated: Option<String>,
}

impl Sqlite {
    /// Opens the database for writing, creating it (and its directory), and migrates it.
    pub fn open(path: &Path) -> Result<Sqlite, rusqlite::Error> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| {
                rusqlite::Error::SqliteFailure(
                    rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CANTOPEN),
                    Some(format!("cannot create {}: {e}", dir.display())),
                )
            })?;
        }
        let conn = Connection::open(path)?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        // Deleted rows (purged questions and comments) are overwritten, not left in free pages.
        conn.pragma_update(None, "secure_delete", "ON")?;
        let mut db = Sqlite { conn, file: None };
        db.migrate()?;
        db.file = file_id(path).map(|id| (path.to_owned(), id));
        Ok(db)
    }

    /// Whether the file this writer opened was deleted, or another put in its place: records
    /// written now would be lost with the old file.
    pub fn replaced(&self) -> bool {
        self.file.as_ref().is_some_and(|(path, id)| file_id(path) != Some(*id))
    }

    /// Opens an existing database for queries (a separate connection: WAL lets it read while the
    /// writer writes).
    pub fn open_read(path: &Path) -> Result<Sqlite, rusqlite::Error> {
        if !path.exists() {
            // Nothing recorded yet: an empty in-memory database answers every query with nothing.
            let mut db = Sqlite { conn: Connection::open_in_memory()?, file: None };
            db.migrate()?;
            return Ok(db);
        }
        let conn =
            Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        Ok(Sqlite { conn, file: None })
    }

    fn migrate(&mut self) -> Result<(), rusqlite::Error> {
        // One writer at a time (IMMEDIATE): two processes creating the file at once do not both run
        // a migration.
        let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        tx.execute_batch(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_ms INTEGER NOT NULL)",
        )?;
        let done: i64 = tx.query_row("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", [], |r| r.get(0))?;
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(done.max(0) as usize) {
            tx.execute_batch(sql)?;
            tx.execute(
                "INSERT INTO schema_migrations (version, applied_ms) VALUES (?1, ?2)",
                params![i as i64 + 1, super::now_ms()],
            )?;
        }
        tx.commit()
    }

    /// Writes answers and votes in one transaction (a batch is much cheaper than a commit per record).
    pub fn write_batch(
        &mut self,
        answers: &[&AnswerRecord],
        votes: &[&VoteRecord],
        states: &[&StateRecord],
    ) -> Result<(), rusqlite::Error> {
        let tx = self.conn.transaction()?;
        for r in answers {
            Self::insert_answer(&tx, r)?;
        }
        for v in votes {
            Self::upsert_vote(&tx, v)?;
        }
        for s in states {
            // A later state replaces an earlier one; one written meanwhile by another replica with a
            // later time stays.
            tx.prepare_cached(
                "INSERT INTO state (key, value, at_ms) VALUES (?1, ?2, ?3)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value, at_ms = excluded.at_ms
                 WHERE excluded.at_ms >= state.at_ms",
            )?
            .execute(params![s.key, s.value, s.at_ms])?;
        }
        tx.commit()
    }

    /// The state stored under `key`, with when it was stored.
    pub fn state(&self, key: &str) -> Result<Option<(String, i64)>, rusqlite::Error> {
        use rusqlite::OptionalExtension as _;
        self.conn
            .query_row("SELECT value, at_ms FROM state WHERE key = ?1", params![key], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()
    }

    fn insert_answer(conn: &Connection, r: &AnswerRecord) -> Result<(), rusqlite::Error> {
        conn.prepare_cached(
            "INSERT OR IGNORE INTO answers (id, at_ms, transport, guild_id, channel_id, user_hash, question, kind,
                 confidence, features, top_section, latency_us, revision)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        )?
        .execute(params![
            r.id,
            r.at_ms,
            r.transport,
            r.guild,
            r.channel,
            r.user_hash,
            r.question,
            r.kind,
            r.confidence,
            r.features.join(","),
            r.top_section,
            r.latency_us,
            r.revision
        ])?;
        Ok(())
    }

    fn upsert_vote(conn: &Connection, v: &VoteRecord) -> Result<(), rusqlite::Error> {
        // A later vote replaces the earlier one; a vote without a comment keeps the comment given.
        conn.prepare_cached(
            "INSERT INTO votes (answer_id, user_hash, helpful, comment, at_ms) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (answer_id, user_hash) DO UPDATE SET helpful = excluded.helpful,
                 comment = COALESCE(excluded.comment, CASE WHEN excluded.helpful = votes.helpful THEN votes.comment END),
                 at_ms = excluded.at_ms",
        )?
        .execute(params![v.answer_id, v.user_hash, v.helpful, v.comment, v.at_ms])?;
        Ok(())
    }

    /// Deletes answers, votes and process reports older than `before` (Unix ms); the deleted
    /// rows are overwritten (`secure_delete`) and the write-ahead log, which held them too, is
    /// emptied.
    pub fn purge(&mut self, before: i64) -> Result<(), rusqlite::Error> {
        let tx = self.conn.transaction()?;
        tx.execute("DELETE FROM answers WHERE at_ms < ?1", params![before])?;
        tx.execute("DELETE FROM votes WHERE at_ms < ?1", params![before])?;
        tx.execute("DELETE FROM writers WHERE updated_ms < ?1", params![before])?;
        tx.execute("DELETE FROM state WHERE at_ms < ?1", params![before])?;
        tx.commit()?;
        // A reader holding an old snapshot can keep the log from being emptied; the next purge
        // tries again.
        self.conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
    }

    pub fn report(&mut self, r: &WriterReport) -> Result<(), rusqlite::Error> {
        self.conn
            .prepare_cached(
                "INSERT INTO writers (process, started_ms, updated_ms, write_failures, dropped, last_error)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (process) DO UPDATE SET updated_ms = excluded.updated_ms,
                     write_failures = excluded.write_failures, dropped = excluded.dropped,
                     last_error = excluded.last_error",
            )?
            .execute(params![r.process, r.started_ms, r.updated_ms, r.write_failures, r.dropped, r.last_error])?;
        Ok(())
    }

    pub fn writers(&self, since: i64) -> Result<Vec<WriterReport>, rusqlite::Error> {
        if !self.has_table("writers")? {
            return Ok(Vec::new());
        }
        let mut st = self.conn.prepare(
            "SELECT process, started_ms, updated_ms, write_failures, dropped, last_error FROM writers
             WHERE updated_ms >= ?1 ORDER BY updated_ms DESC",
        )?;
        st.query_map(params![since], |r| {
            Ok(WriterReport {
                process: r.get(0)?,
                started_ms: r.get(1)?,
                updated_ms: r.get(2)?,
                write_failures: r.get(3)?,
                dropped: r.get(4)?,
                last_error: r.get(5)?,
            })
        })?
        .collect()
    }

    /// A file written by an older version (read-only readers do not migrate).
    fn has_table(&self, name: &str) -> Result<bool, rusqlite::Error> {
        self.conn.query_row("SELECT COUNT(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = ?1", [name], |r| {
            r.get(0)
        })
    }

    pub fn per_day(&self, w: &Window) -> Result<Vec<DayCount>, rusqlite::Error> {
        let mut st = self.conn.prepare(
            "SELECT strftime('%Y-%m-%d', at_ms / 1000, 'unixepoch') AS day, kind, COUNT(*) FROM answers
             WHERE at_ms >= ?1 AND (?2 IS NULL OR guild_id = ?2) GROUP BY day, kind ORDER BY day, kind",
        )?;
        st.query_map(params![w.since, w.guild], |r| {
            Ok(DayCount { day: r.get(0)?, kind: r.get(1)?, count: r.get::<_, i64>(2)? as u64 })
        })?
        .collect()
    }

    pub fn top_features(&self, w: &Window, limit: usize) -> Result<Vec<FeatureCount>, rusqlite::Error> {
        let mut st = self.conn.prepare(
            "SELECT features FROM answers WHERE at_ms >= ?1 AND (?2 IS NULL OR guild_id = ?2) AND features <> ''",
        )?;
        let rows: Vec<String> =
            st.query_map(params![w.since, w.guild], |r| r.get::<_, String>(0))?.collect::<Result<_, _>>()?;
        Ok(count_features(rows.into_iter(), limit))
    }

    /// Votes up and down on answers given in the window.
    pub fn votes(&self, w: &Window) -> Result<(u64, u64), rusqlite::Error> {
        self.conn.query_row(
            "SELECT COALESCE(SUM(v.helpful = 1), 0), COALESCE(SUM(v.helpful = 0), 0)
             FROM votes v JOIN answers a ON a.id = v.answer_id WHERE a.at_ms >= ?1 AND (?2 IS NULL OR a.guild_id = ?2)",
            params![w.since, w.guild],
            |r| Ok((r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)? as u64)),
        )
    }

    /// Questions handed to people in the window, and how many of those were handed back.
    pub fn escalations(&self, w: &Window) -> Result<(u64, u64), rusqlite::Error> {
        self.conn.query_row(
            "SELECT COUNT(*), COALESCE(SUM(s.value = 'resolved'), 0)
             FROM state s JOIN answers a ON s.key = 'escalated:' || a.id
             WHERE s.key LIKE 'escalated:%' AND s.at_ms >= ?1 AND (?2 IS NULL OR a.guild_id = ?2)",
            params![w.since, w.guild],
            |r| Ok((r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)? as u64)),
        )
    }

    pub fn latencies(&self, w: &Window) -> Result<Vec<i64>, rusqlite::Error> {
        let mut st =
            self.conn.prepare("SELECT latency_us FROM answers WHERE at_ms >= ?1 AND (?2 IS NULL OR guild_id = ?2)")?;
        st.query_map(params![w.since, w.guild], |r| r.get(0))?.collect()
    }

    /// The latest `limit` gap questions in the window, oldest first, and how many there are in all.
    pub fn gap_questions(&self, w: &Window, limit: usize) -> Result<(Vec<GapQuestion>, usize), rusqlite::Error> {
        const GAP: &str =
            "a.at_ms >= ?1 AND (?2 IS NULL OR a.guild_id = ?2) AND (a.kind = 'out_of_scope' OR a.confidence = 'low'
                   OR EXISTS (SELECT 1 FROM votes v WHERE v.answer_id = a.id AND v.helpful = 0)
                   OR EXISTS (SELECT 1 FROM state s WHERE s.key = 'escalated:' || a.id))";
        let mut st = self.conn.prepare(&format!(
            "SELECT * FROM (
                 SELECT a.id, a.question, a.kind, a.confidence, a.top_section,
                        EXISTS (SELECT 1 FROM votes v WHERE v.answer_id = a.id AND v.helpful = 0),
                        (SELECT v.comment FROM votes v
                         WHERE v.answer_id = a.id AND v.helpful = 0 AND v.comment IS NOT NULL
                         ORDER BY v.at_ms DESC LIMIT 1),
                        a.at_ms AS at,
                        (SELECT s.value FROM state s WHERE s.key = 'escalated:' || a.id)
                 FROM answers a WHERE {GAP} ORDER BY a.at_ms DESC, a.id DESC LIMIT ?3)
             ORDER BY at, id"
        ))?;
        let limit = limit.min(i64::MAX as usize) as i64;
        let questions = st
            .query_map(params![w.since, w.guild, limit], |r| {
                Ok(GapQuestion {
                    id: r.get(0)?,
                    question: r.get(1)?,
                    kind: r.get(2)?,
                    confidence: r.get(3)?,
                    top_section: r.get(4)?,
                    voted_down: r.get(5)?,
                    comment: r.get(6)?,
                    escalated: r.get(8)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        let total: i64 = self.conn.query_row(
            &format!("SELECT COUNT(*) FROM answers a WHERE {GAP}"),
            params![w.since, w.guild],
            |r| r.get(0),
        )?;
        Ok((questions, total.max(0) as usize))
    }
}

/// What a report covers: answers since `since` (Unix ms), of one server's when `guild` is set (a
/// report asked for on Discord covers the server it is asked in).
#[derive(Debug, Clone, Default)]
pub struct Window {
    pub since: i64,
    pub guild: Option<String>,
}

/// A database fault, as text (from either backend).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbError(pub String);

impl std::fmt::Display for DbError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<rusqlite::Error> for DbError {
    fn from(e: rusqlite::Error) -> Self {
        DbError(e.to_string())
    }
}

/// Whether `database` names a PostgreSQL server (`postgres://` or `postgresql://`) rather than a file.
pub fn is_postgres(database: &Path) -> bool {
    database.to_str().is_some_and(|s| s.starts_with("postgres://") || s.starts_with("postgresql://"))
}

/// Either backend, with the same operations and the same results.
pub enum Db {
    Sqlite(Sqlite),
    Postgres(super::pg::Postgres),
}

impl Db {
    pub fn open(database: &Path) -> Result<Db, DbError> {
        if is_postgres(database) {
            return Ok(Db::Postgres(super::pg::Postgres::open(database.to_str().unwrap_or_default())?));
        }
        Ok(Db::Sqlite(Sqlite::open(database)?))
    }

    pub fn open_read(database: &Path) -> Result<Db, DbError> {
        if is_postgres(database) {
            return Ok(Db::Postgres(super::pg::Postgres::connect(database.to_str().unwrap_or_default())?));
        }
        Ok(Db::Sqlite(Sqlite::open_read(database)?))
    }

    /// Whether a server connection was lost (a file never is).
    pub fn is_closed(&self) -> bool {
        matches!(self, Db::Postgres(d) if d.is_closed())
    }

    /// Whether the SQLite file this writer opened was deleted or replaced (see [`Sqlite::replaced`]).
    pub fn replaced(&self) -> bool {
        matches!(self, Db::Sqlite(d) if d.replaced())
    }

    pub fn report(&mut self, r: &WriterReport) -> Result<(), DbError> {
        match self {
            Db::Sqlite(d) => Ok(d.report(r)?),
            Db::Postgres(d) => d.report(r),
        }
    }

    pub fn writers(&mut self, since: i64) -> Result<Vec<WriterReport>, DbError> {
        match self {
            Db::Sqlite(d) => Ok(d.writers(since)?),
            Db::Postgres(d) => d.writers(since),
        }
    }

    pub fn write_batch(
        &mut self,
        answers: &[&AnswerRecord],
        votes: &[&VoteRecord],
        states: &[&StateRecord],
    ) -> Result<(), DbError> {
        match self {
            Db::Sqlite(d) => Ok(d.write_batch(answers, votes, states)?),
            Db::Postgres(d) => d.write_batch(answers, votes, states),
        }
    }

    /// The shared cooldown's count (`pg::Postgres::cooldown_take`); SQLite has none (each process
    /// counts alone).
    pub fn cooldown_take(&mut self, user: &str, now: i64, window_ms: i64, max: i64) -> Result<Option<i64>, DbError> {
        match self {
            Db::Sqlite(_) => Err(DbError("the shared cooldown needs PostgreSQL".into())),
            Db::Postgres(d) => d.cooldown_take(user, now, window_ms, max),
        }
    }

    pub fn state(&mut self, key: &str) -> Result<Option<(String, i64)>, DbError> {
        match self {
            Db::Sqlite(d) => Ok(d.state(key)?),
            Db::Postgres(d) => d.state(key),
        }
    }

    pub fn purge(&mut self, before: i64) -> Result<(), DbError> {
        match self {
            Db::Sqlite(d) => Ok(d.purge(before)?),
            Db::Postgres(d) => d.purge(before),
        }
    }

    pub fn per_day(&mut self, w: &Window) -> Result<Vec<DayCount>, DbError> {
        match self {
            Db::Sqlite(d) => Ok(d.per_day(w)?),
            Db::Postgres(d) => d.per_day(w),
        }
    }

    pub fn top_features(&mut self, w: &Window, limit: usize) -> Result<Vec<FeatureCount>, DbError> {
        match self {
            Db::Sqlite(d) => Ok(d.top_features(w, limit)?),
            Db::Postgres(d) => d.top_features(w, limit),
        }
    }

    pub fn votes(&mut self, w: &Window) -> Result<(u64, u64), DbError> {
        match self {
            Db::Sqlite(d) => Ok(d.votes(w)?),
            Db::Postgres(d) => d.votes(w),
        }
    }

    pub fn escalations(&mut self, w: &Window) -> Result<(u64, u64), DbError> {
        match self {
            Db::Sqlite(d) => Ok(d.escalations(w)?),
            Db::Postgres(d) => d.escalations(w),
        }
    }

    pub fn latencies(&mut self, w: &Window) -> Result<Vec<i64>, DbError> {
        match self {
            Db::Sqlite(d) => Ok(d.latencies(w)?),
            Db::Postgres(d) => d.latencies(w),
        }
    }

    pub fn gap_questions(&mut self, w: &Window, limit: usize) -> Result<(Vec<GapQuestion>, usize), DbError> {
        match self {
            Db::Sqlite(d) => Ok(d.gap_questions(w, limit)?),
            Db::Postgres(d) => d.gap_questions(w, limit),
        }
    }
}

/// Features counted from the comma-separated column, most frequent first.
pub(super) fn count_features(rows: impl Iterator<Item = String>, limit: usize) -> Vec<FeatureCount> {
    let mut counts: std::collections::HashMap<String, u64> = std::collections::HashMap::new();
    for row in rows {
        for f in row.split(',').filter(|f| !f.is_empty()) {
            *counts.entry(f.to_owned()).or_default() += 1;
        }
    }
    let mut out: Vec<FeatureCount> =
        counts.into_iter().map(|(feature, count)| FeatureCount { feature, count }).collect();
    out.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.feature.cmp(&b.feature)));
    out.truncate(limit);
    out
}
