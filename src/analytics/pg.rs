//! The analytics database on PostgreSQL (`[analytics] database = "postgres://..."`), for replicas
//! that share one database: the same schema (PostgreSQL types), migrations and results as SQLite.
//! Sync `postgres` client: the writer is a thread, reads open their own connection.

use postgres::{Client, NoTls};

use super::db::{DayCount, DbError, FeatureCount, GapQuestion, count_features};
use super::{AnswerRecord, VoteRecord};

/// As SQLite's migrations, in PostgreSQL's types. Never edit one that shipped: add the next.
const MIGRATIONS: &[&str] = &["CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
     CREATE TABLE answers (
         id BIGINT PRIMARY KEY,
         at_ms BIGINT NOT NULL,
         transport TEXT NOT NULL,
         guild_id TEXT,
         channel_id TEXT,
         user_hash TEXT NOT NULL,
         question TEXT,
         kind TEXT NOT NULL,
         confidence TEXT NOT NULL,
         features TEXT NOT NULL,
         top_section TEXT,
         latency_us BIGINT NOT NULL,
         revision TEXT NOT NULL
     );
     CREATE INDEX answers_at ON answers (at_ms);
     CREATE TABLE votes (
         answer_id BIGINT NOT NULL,
         user_hash TEXT NOT NULL,
         helpful BIGINT NOT NULL,
         comment TEXT,
         at_ms BIGINT NOT NULL,
         PRIMARY KEY (answer_id, user_hash)
     );
     CREATE INDEX votes_at ON votes (at_ms);"];

/// Serializes migrations across replicas starting at once (any constant key of our own).
const MIGRATION_LOCK: i64 = 0x7072_6f64_6274;

pub struct Postgres(Client);

/// How long connecting may take before the database counts as unreachable.
pub const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// A client for `url`, giving up after [`CONNECT_TIMEOUT`].
pub fn client(url: &str) -> Result<Client, postgres::Error> {
    let mut config: postgres::Config = url.parse()?;
    config.connect_timeout(CONNECT_TIMEOUT);
    config.connect(NoTls)
}

impl Postgres {
    pub fn connect(url: &str) -> Result<Postgres, DbError> {
        Ok(Postgres(client(url)?))
    }

    pub fn is_closed(&self) -> bool {
        self.0.is_closed()
    }

    /// Connects and migrates.
    pub fn open(url: &str) -> Result<Postgres, DbError> {
        let mut db = Postgres::connect(url)?;
        db.migrate()?;
        Ok(db)
    }

    fn migrate(&mut self) -> Result<(), DbError> {
        let mut tx = self.0.transaction()?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_ms BIGINT NOT NULL)",
        )?;
        let done: i64 = tx.query_one("SELECT COALESCE(MAX(version), 0)::BIGINT FROM schema_migrations", &[])?.get(0);
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(done.max(0) as usize) {
            tx.batch_execute(sql)?;
            tx.execute(
                "INSERT INTO schema_migrations (version, applied_ms) VALUES ($1, $2)",
                &[&(i as i64 + 1), &super::now_ms()],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    pub fn salt(&mut self) -> Result<String, DbError> {
        let salt = format!("{:016x}{:016x}", rand::random::<u64>(), rand::random::<u64>());
        self.0.execute("INSERT INTO meta (key, value) VALUES ('salt', $1) ON CONFLICT (key) DO NOTHING", &[&salt])?;
        Ok(self.0.query_one("SELECT value FROM meta WHERE key = 'salt'", &[])?.get(0))
    }

    pub fn write_batch(&mut self, answers: &[&AnswerRecord], votes: &[&VoteRecord]) -> Result<(), DbError> {
        let mut tx = self.0.transaction()?;
        let insert = tx.prepare(
            "INSERT INTO answers (id, at_ms, transport, guild_id, channel_id, user_hash, question, kind,
                 confidence, features, top_section, latency_us, revision)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) ON CONFLICT (id) DO NOTHING",
        )?;
        for r in answers {
            tx.execute(
                &insert,
                &[
                    &r.id,
                    &r.at_ms,
                    &r.transport,
                    &r.guild,
                    &r.channel,
                    &r.user_hash,
                    &r.question,
                    &r.kind,
                    &r.confidence,
                    &r.features.join(","),
                    &r.top_section,
                    &r.latency_us,
                    &r.revision,
                ],
            )?;
        }
        let vote = tx.prepare(
            "INSERT INTO votes (answer_id, user_hash, helpful, comment, at_ms) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (answer_id, user_hash) DO UPDATE SET helpful = excluded.helpful,
                 comment = COALESCE(excluded.comment, CASE WHEN excluded.helpful = votes.helpful THEN votes.comment END),
                 at_ms = excluded.at_ms",
        )?;
        for v in votes {
            tx.execute(&vote, &[&v.answer_id, &v.user_hash, &i64::from(v.helpful), &v.comment, &v.at_ms])?;
        }
        tx.commit()?;
        Ok(())
    }

    pub fn purge(&mut self, before: i64) -> Result<(), DbError> {
        let mut tx = self.0.transaction()?;
        tx.execute("DELETE FROM answers WHERE at_ms < $1", &[&before])?;
        tx.execute("DELETE FROM votes WHERE at_ms < $1", &[&before])?;
        tx.commit()?;
        Ok(())
    }

    pub fn per_day(&mut self, since: i64) -> Result<Vec<DayCount>, DbError> {
        let rows = self.0.query(
            "SELECT to_char(to_timestamp(at_ms / 1000) AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, kind,
                    COUNT(*)::BIGINT
             FROM answers WHERE at_ms >= $1 GROUP BY day, kind ORDER BY day, kind",
            &[&since],
        )?;
        Ok(rows.iter().map(|r| DayCount { day: r.get(0), kind: r.get(1), count: r.get::<_, i64>(2) as u64 }).collect())
    }

    pub fn top_features(&mut self, since: i64, limit: usize) -> Result<Vec<FeatureCount>, DbError> {
        let rows = self.0.query("SELECT features FROM answers WHERE at_ms >= $1 AND features <> ''", &[&since])?;
        Ok(count_features(rows.iter().map(|r| r.get::<_, String>(0)), limit))
    }

    pub fn votes(&mut self, since: i64) -> Result<(u64, u64), DbError> {
        let r = self.0.query_one(
            "SELECT COALESCE(SUM(CASE WHEN v.helpful = 1 THEN 1 ELSE 0 END), 0)::BIGINT,
                    COALESCE(SUM(CASE WHEN v.helpful = 0 THEN 1 ELSE 0 END), 0)::BIGINT
             FROM votes v JOIN answers a ON a.id = v.answer_id WHERE a.at_ms >= $1",
            &[&since],
        )?;
        Ok((r.get::<_, i64>(0) as u64, r.get::<_, i64>(1) as u64))
    }

    pub fn latencies(&mut self, since: i64) -> Result<Vec<i64>, DbError> {
        let rows = self.0.query("SELECT latency_us FROM answers WHERE at_ms >= $1", &[&since])?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    /// The latest `limit` gap questions since `since`, oldest first, and how many there are in all.
    pub fn gap_questions(&mut self, since: i64, limit: usize) -> Result<(Vec<GapQuestion>, usize), DbError> {
        let limit = limit.min(i64::MAX as usize) as i64;
        let rows = self.0.query(
            "SELECT * FROM (
                 SELECT a.id, a.question, a.kind, a.confidence, a.top_section,
                        EXISTS (SELECT 1 FROM votes v WHERE v.answer_id = a.id AND v.helpful = 0),
                        (SELECT v.comment FROM votes v
                         WHERE v.answer_id = a.id AND v.helpful = 0 AND v.comment IS NOT NULL
                         ORDER BY v.at_ms DESC LIMIT 1),
                        a.at_ms
                 FROM answers a
                 WHERE a.at_ms >= $1 AND (a.kind = 'out_of_scope' OR a.confidence = 'low'
                       OR EXISTS (SELECT 1 FROM votes v WHERE v.answer_id = a.id AND v.helpful = 0))
                 ORDER BY a.at_ms DESC, a.id DESC LIMIT $2) latest
             ORDER BY at_ms, id",
            &[&since, &limit],
        )?;
        let total: i64 = self
            .0
            .query_one(
                "SELECT COUNT(*)::BIGINT FROM answers a
                 WHERE a.at_ms >= $1 AND (a.kind = 'out_of_scope' OR a.confidence = 'low'
                       OR EXISTS (SELECT 1 FROM votes v WHERE v.answer_id = a.id AND v.helpful = 0))",
                &[&since],
            )?
            .get(0);
        let questions = rows
            .iter()
            .map(|r| GapQuestion {
                id: r.get(0),
                question: r.get(1),
                kind: r.get(2),
                confidence: r.get(3),
                top_section: r.get(4),
                voted_down: r.get(5),
                comment: r.get(6),
            })
            .collect();
        Ok((questions, total.max(0) as usize))
    }
}
