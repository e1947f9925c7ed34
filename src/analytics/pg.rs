//! The analytics database on PostgreSQL (`[analytics] database = "postgres://..."`), for replicas
//! that share one database: the same schema (PostgreSQL types), migrations and results as SQLite.
//! Each handle is one [`PgConn`]: connecting and every statement are bounded in time.

use super::db::{DayCount, DbError, FeatureCount, GapQuestion, Window, WriterReport, count_features};
use super::pgconn::PgConn;
use super::{AnswerRecord, StateRecord, VoteRecord};

/// As SQLite's migrations, in PostgreSQL's types. Never edit one that shipped: add the next.
const MIGRATIONS: &[&str] = &[
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
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
     CREATE INDEX votes_at ON votes (at_ms);",
    // The salt moved out of the database (to the install's key file); each writing process reports
    // its health here, for the others' /stats.
    "DELETE FROM meta WHERE key = 'salt';
     CREATE TABLE writers (
         process TEXT PRIMARY KEY,
         started_ms BIGINT NOT NULL,
         updated_ms BIGINT NOT NULL,
         write_failures BIGINT NOT NULL,
         dropped BIGINT NOT NULL,
         last_error TEXT
     );",
    "CREATE TABLE state (
         key TEXT PRIMARY KEY,
         value TEXT NOT NULL,
         at_ms BIGINT NOT NULL
     );
     CREATE INDEX state_at ON state (at_ms);
     CREATE TABLE cooldown (user_hash TEXT NOT NULL, at_ms BIGINT NOT NULL);
     CREATE INDEX cooldown_user ON cooldown (user_hash, at_ms);",
];

/// Serializes migrations across replicas starting at once (any constant key of our own).
const MIGRATION_LOCK: i64 = 0x7072_6f64_6274;

pub struct Postgres(PgConn);

impl Postgres {
    /// Connects, without migrating (readers).
    pub fn connect(url: &str) -> Result<Postgres, DbError> {
        Ok(Postgres(PgConn::connect(url)?))
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
        self.0.run(async |c| {
            let tx = c.transaction().await?;
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK]).await?;
            tx.batch_execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_ms BIGINT NOT NULL)",
            )
            .await?;
            let done: i64 =
                tx.query_one("SELECT COALESCE(MAX(version), 0)::BIGINT FROM schema_migrations", &[]).await?.get(0);
            for (i, sql) in MIGRATIONS.iter().enumerate().skip(done.max(0) as usize) {
                tx.batch_execute(sql).await?;
                tx.execute(
                    "INSERT INTO schema_migrations (version, applied_ms) VALUES ($1, $2)",
                    &[&(i as i64 + 1), &super::now_ms()],
                )
                .await?;
            }
            tx.commit().await
        })
    }

    pub fn write_batch(
        &mut self,
        answers: &[&AnswerRecord],
        votes: &[&VoteRecord],
        states: &[&StateRecord],
    ) -> Result<(), DbError> {
        self.0.run(async |c| {
            let tx = c.transaction().await?;
            let insert = tx
                .prepare(
                    "INSERT INTO answers (id, at_ms, transport, guild_id, channel_id, user_hash, question, kind,
                         confidence, features, top_section, latency_us, revision)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) ON CONFLICT (id) DO NOTHING",
                )
                .await?;
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
                )
                .await?;
            }
            let vote = tx
                .prepare(
                    "INSERT INTO votes (answer_id, user_hash, helpful, comment, at_ms) VALUES ($1, $2, $3, $4, $5)
                     ON CONFLICT (answer_id, user_hash) DO UPDATE SET helpful = excluded.helpful,
                         comment = COALESCE(excluded.comment, CASE WHEN excluded.helpful = votes.helpful THEN votes.comment END),
                         at_ms = excluded.at_ms",
                )
                .await?;
            for v in votes {
                tx.execute(&vote, &[&v.answer_id, &v.user_hash, &i64::from(v.helpful), &v.comment, &v.at_ms]).await?;
            }
            for s in states {
                tx.execute(
                    "INSERT INTO state (key, value, at_ms) VALUES ($1, $2, $3)
                     ON CONFLICT (key) DO UPDATE SET value = excluded.value, at_ms = excluded.at_ms
                     WHERE excluded.at_ms >= state.at_ms",
                    &[&s.key, &s.value, &s.at_ms],
                )
                .await?;
            }
            tx.commit().await
        })
    }

    /// Counts a question by `user` (a pseudonym) at `now` in the window every replica shares, or
    /// says how long (ms) until the next one is allowed: at most `max` per `window_ms`. One user's
    /// check at a time across replicas (an advisory lock on the user, for the transaction).
    pub fn cooldown_take(&mut self, user: &str, now: i64, window_ms: i64, max: i64) -> Result<Option<i64>, DbError> {
        self.0.run(async |c| {
            let tx = c.transaction().await?;
            tx.execute("SELECT pg_advisory_xact_lock(hashtext($1)::BIGINT)", &[&user]).await?;
            tx.execute("DELETE FROM cooldown WHERE user_hash = $1 AND at_ms <= $2", &[&user, &(now - window_ms)])
                .await?;
            let rows = tx
                .query("SELECT at_ms FROM cooldown WHERE user_hash = $1 ORDER BY at_ms LIMIT $2", &[&user, &max])
                .await?;
            let wait = if (rows.len() as i64) < max {
                tx.execute("INSERT INTO cooldown (user_hash, at_ms) VALUES ($1, $2)", &[&user, &now]).await?;
                None
            } else {
                let oldest: i64 = rows[0].get(0);
                Some((oldest + window_ms - now).max(1))
            };
            tx.commit().await?;
            Ok(wait)
        })
    }

    pub fn state(&mut self, key: &str) -> Result<Option<(String, i64)>, DbError> {
        self.0.run(async |c| {
            let row = c.query_opt("SELECT value, at_ms FROM state WHERE key = $1", &[&key]).await?;
            Ok(row.map(|r| (r.get(0), r.get(1))))
        })
    }

    pub fn purge(&mut self, before: i64) -> Result<(), DbError> {
        self.0.run(async |c| {
            let tx = c.transaction().await?;
            tx.execute("DELETE FROM answers WHERE at_ms < $1", &[&before]).await?;
            tx.execute("DELETE FROM votes WHERE at_ms < $1", &[&before]).await?;
            tx.execute("DELETE FROM writers WHERE updated_ms < $1", &[&before]).await?;
            tx.execute("DELETE FROM state WHERE at_ms < $1", &[&before]).await?;
            tx.execute("DELETE FROM cooldown WHERE at_ms < $1", &[&before]).await?;
            tx.commit().await
        })
    }

    pub fn report(&mut self, r: &WriterReport) -> Result<(), DbError> {
        self.0.run(async |c| {
            c.execute(
                "INSERT INTO writers (process, started_ms, updated_ms, write_failures, dropped, last_error)
                 VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT (process) DO UPDATE SET updated_ms = excluded.updated_ms,
                     write_failures = excluded.write_failures, dropped = excluded.dropped,
                     last_error = excluded.last_error",
                &[&r.process, &r.started_ms, &r.updated_ms, &r.write_failures, &r.dropped, &r.last_error],
            )
            .await
            .map(|_| ())
        })
    }

    pub fn writers(&mut self, since: i64) -> Result<Vec<WriterReport>, DbError> {
        let rows = self.0.run(async |c| {
            c.query(
                "SELECT process, started_ms, updated_ms, write_failures, dropped, last_error FROM writers
                 WHERE updated_ms >= $1 ORDER BY updated_ms DESC",
                &[&since],
            )
            .await
        })?;
        Ok(rows
            .iter()
            .map(|r| WriterReport {
                process: r.get(0),
                started_ms: r.get(1),
                updated_ms: r.get(2),
                write_failures: r.get(3),
                dropped: r.get(4),
                last_error: r.get(5),
            })
            .collect())
    }

    pub fn per_day(&mut self, w: &Window) -> Result<Vec<DayCount>, DbError> {
        let rows = self.0.run(async |c| {
            c.query(
                "SELECT to_char(to_timestamp(at_ms / 1000) AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, kind,
                        COUNT(*)::BIGINT
                 FROM answers WHERE at_ms >= $1 AND ($2::TEXT IS NULL OR guild_id = $2)
                 GROUP BY day, kind ORDER BY day, kind",
                &[&w.since, &w.guild],
            )
            .await
        })?;
        Ok(rows.iter().map(|r| DayCount { day: r.get(0), kind: r.get(1), count: r.get::<_, i64>(2) as u64 }).collect())
    }

    pub fn top_features(&mut self, w: &Window, limit: usize) -> Result<Vec<FeatureCount>, DbError> {
        let rows = self.0.run(async |c| {
            c.query(
                "SELECT features FROM answers
                 WHERE at_ms >= $1 AND ($2::TEXT IS NULL OR guild_id = $2) AND features <> ''",
                &[&w.since, &w.guild],
            )
            .await
        })?;
        Ok(count_features(rows.iter().map(|r| r.get::<_, String>(0)), limit))
    }

    /// Questions handed to people in the window, and how many of those were handed back.
    pub fn escalations(&mut self, w: &Window) -> Result<(u64, u64), DbError> {
        let r = self.0.run(async |c| {
            c.query_one(
                "SELECT COUNT(*)::BIGINT, COALESCE(SUM(CASE WHEN s.value = 'resolved' THEN 1 ELSE 0 END), 0)::BIGINT
                 FROM state s JOIN answers a ON s.key = 'escalated:' || a.id
                 WHERE s.key LIKE 'escalated:%' AND s.at_ms >= $1 AND ($2::TEXT IS NULL OR a.guild_id = $2)",
                &[&w.since, &w.guild],
            )
            .await
        })?;
        Ok((r.get::<_, i64>(0) as u64, r.get::<_, i64>(1) as u64))
    }

    pub fn votes(&mut self, w: &Window) -> Result<(u64, u64), DbError> {
        let r = self.0.run(async |c| {
            c.query_one(
                "SELECT COALESCE(SUM(CASE WHEN v.helpful = 1 THEN 1 ELSE 0 END), 0)::BIGINT,
                        COALESCE(SUM(CASE WHEN v.helpful = 0 THEN 1 ELSE 0 END), 0)::BIGINT
                 FROM votes v JOIN answers a ON a.id = v.answer_id
                 WHERE a.at_ms >= $1 AND ($2::TEXT IS NULL OR a.guild_id = $2)",
                &[&w.since, &w.guild],
            )
            .await
        })?;
        Ok((r.get::<_, i64>(0) as u64, r.get::<_, i64>(1) as u64))
    }

    pub fn latencies(&mut self, w: &Window) -> Result<Vec<i64>, DbError> {
        let rows = self.0.run(async |c| {
            c.query(
                "SELECT latency_us FROM answers WHERE at_ms >= $1 AND ($2::TEXT IS NULL OR guild_id = $2)",
                &[&w.since, &w.guild],
            )
            .await
        })?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    /// The latest `limit` gap questions in the window, oldest first, and how many there are in all.
    pub fn gap_questions(&mut self, w: &Window, limit: usize) -> Result<(Vec<GapQuestion>, usize), DbError> {
        let limit = limit.min(i64::MAX as usize) as i64;
        let (rows, total) = self.0.run(async |c| {
            let rows = c
                .query(
                    "SELECT * FROM (
                         SELECT a.id, a.question, a.kind, a.confidence, a.top_section,
                                EXISTS (SELECT 1 FROM votes v WHERE v.answer_id = a.id AND v.helpful = 0),
                                (SELECT v.comment FROM votes v
                                 WHERE v.answer_id = a.id AND v.helpful = 0 AND v.comment IS NOT NULL
                                 ORDER BY v.at_ms DESC LIMIT 1),
                                a.at_ms,
                                (SELECT s.value FROM state s WHERE s.key = 'escalated:' || a.id)
                         FROM answers a
                         WHERE a.at_ms >= $1 AND ($3::TEXT IS NULL OR a.guild_id = $3) AND (a.kind = 'out_of_scope' OR a.confidence = 'low'
                               OR EXISTS (SELECT 1 FROM votes v WHERE v.answer_id = a.id AND v.helpful = 0)
                               OR EXISTS (SELECT 1 FROM state s WHERE s.key = 'escalated:' || a.id))
                         ORDER BY a.at_ms DESC, a.id DESC LIMIT $2) latest
                     ORDER BY at_ms, id",
                    &[&w.since, &limit, &w.guild],
                )
                .await?;
            let total: i64 = c
                .query_one(
                    "SELECT COUNT(*)::BIGINT FROM answers a
                     WHERE a.at_ms >= $1 AND ($2::TEXT IS NULL OR a.guild_id = $2) AND (a.kind = 'out_of_scope' OR a.confidence = 'low'
                           OR EXISTS (SELECT 1 FROM votes v WHERE v.answer_id = a.id AND v.helpful = 0)
                               OR EXISTS (SELECT 1 FROM state s WHERE s.key = 'escalated:' || a.id))",
                    &[&w.since, &w.guild],
                )
                .await?
                .get(0);
            Ok((rows, total))
        })?;
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
                escalated: r.get(8),
            })
            .collect();
        Ok((questions, total.max(0) as usize))
    }
}
