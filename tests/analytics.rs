//! Analytics on real databases: answers recorded through the one dispatcher, votes, coverage gaps,
//! statistics, restarts, retention, and a database that cannot be written (answers keep flowing, the
//! fault is reported). The storage tests run on an SQLite file and on a PostgreSQL server: the one
//! `PRODUCTBOT_TEST_POSTGRES` names (an admin URL; each test creates its own database there), which
//! `.ci/run` installs and starts. The PostgreSQL cases are `#[ignore]`d, so cargo reports them as
//! skipped without a server; `.ci/run` runs them with `--include-ignored`, and then a missing server
//! fails. The Discord side of feedback is in `tests/feedback.rs`.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command as Process, Output, Stdio};
use std::time::{Duration, Instant};

use productbot::analytics::{Analytics, AnalyticsConfig, Origin};
use productbot::answer::Kind;
use productbot::commands::feedback::Vote;
use productbot::commands::gaps::Gaps;
use productbot::commands::stats::StatsCmd;
use productbot::commands::{Caller, Command, Context, Reply, ask::Ask, dispatch};
use productbot::store::{Store, StoreConfig};
use support::Scratch;

const FLUSH: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Backend {
    Sqlite,
    Postgres,
}

/// Where a test's database lives: a file in the test's temp dir, or a fresh PostgreSQL database
/// (see `support::postgres_database`).
fn databases(s: &Scratch, name: &str, backend: Backend) -> Vec<PathBuf> {
    match backend {
        Backend::Sqlite => vec![s.path(&format!("{name}.db"))],
        Backend::Postgres => vec![PathBuf::from(support::postgres_database())],
    }
}

/// A storage test run once per backend: `NAME_on_sqlite`, and `NAME_on_postgres`, ignored unless
/// asked for (`--include-ignored`, as `.ci/run` does).
macro_rules! on_both {
    ($name:ident, $sqlite:ident, $postgres:ident) => {
        #[test]
        fn $sqlite() {
            $name(Backend::Sqlite)
        }

        #[test]
        #[ignore = "needs PostgreSQL: PRODUCTBOT_TEST_POSTGRES (.ci/run starts a server and runs these)"]
        fn $postgres() {
            $name(Backend::Postgres)
        }
    };
}

fn is_postgres(db: &Path) -> bool {
    db.to_str().is_some_and(|d| d.starts_with("postgres"))
}

/// Runs `sql` (no parameters) on either backend directly, as another process would.
fn execute(db: &Path, sql: &str) {
    if is_postgres(db) {
        postgres::Client::connect(db.to_str().unwrap(), postgres::NoTls).unwrap().batch_execute(sql).unwrap();
    } else {
        rusqlite::Connection::open(db).unwrap().execute_batch(sql).unwrap();
    }
}

fn query_ids(db: &Path, sql: &str) -> Vec<i64> {
    if is_postgres(db) {
        let mut c = postgres::Client::connect(db.to_str().unwrap(), postgres::NoTls).unwrap();
        return c.query(sql, &[]).unwrap().iter().map(|r| r.get(0)).collect();
    }
    let c = rusqlite::Connection::open(db).unwrap();
    let mut st = c.prepare(sql).unwrap();
    st.query_map([], |r| r.get(0)).unwrap().collect::<Result<_, _>>().unwrap()
}

/// The install's key for `db`: beside an SQLite file; for a PostgreSQL database, in a temp dir of
/// this test binary, named after the database (one install per database, as replicas share it).
fn key_for(db: &Path) -> PathBuf {
    if !is_postgres(db) {
        return db.with_extension("key");
    }
    static KEYS: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    let name = db.to_str().unwrap().rsplit('/').next().unwrap().to_owned();
    KEYS.get_or_init(|| tempfile::tempdir().unwrap()).path().join(format!("{name}.key"))
}

fn config(db: &Path) -> AnalyticsConfig {
    AnalyticsConfig {
        enabled: true,
        database: db.to_owned(),
        store_questions: true,
        retention_days: 90,
        key_file: key_for(db),
    }
}

/// Opens analytics on `db` and waits until the writer is connected (migrated, purged).
fn open(cfg: AnalyticsConfig) -> Analytics {
    let db = cfg.database.clone();
    let a = Analytics::open(cfg);
    assert!(a.wait_connected(FLUSH), "{db:?}: {:?}", a.health());
    a
}

fn store(s: &Scratch) -> Store {
    let cfg = StoreConfig { corpus_dir: s.corpus(), index_dir: s.index(), threads: 1, articles: None };
    Store::open(cfg, support::prices()).unwrap().0
}

/// Someone on Discord in server 1 (rows the tests insert by hand are that server's too: a report
/// asked for on Discord covers its own server).
fn person(id: &str) -> Caller {
    Caller {
        limited: true,
        conversation: None,
        id: id.into(),
        name: id.into(),
        admin: false,
        support: false,
        origin: Origin { transport: "discord", guild: Some(1), channel: Some(2), record: true, ..Origin::default() },
    }
}

fn admin() -> Caller {
    Caller { admin: true, ..person("admin") }
}

fn ask(store: &Store, a: &Analytics, who: &Caller, q: &str) -> productbot::answer::Answer {
    let ctx = Context::new(store).with_analytics(a);
    match dispatch(ctx, Command::Ask(Ask { question: q.into(), private: false }), who) {
        Reply::Answer(a) => *a,
        other => panic!("not an answer: {other:?}"),
    }
}

fn stats(store: &Store, a: &Analytics) -> productbot::analytics::Stats {
    assert!(a.flush(FLUSH));
    match dispatch(Context::new(store).with_analytics(a), Command::Stats(StatsCmd { days: 30 }), &admin()) {
        Reply::Stats(s) => *s,
        other => panic!("not stats: {other:?}"),
    }
}

fn vote(store: &Store, a: &Analytics, who: &Caller, answer: i64, helpful: bool, comment: Option<&str>) {
    let v = Vote { answer, helpful, comment: comment.map(str::to_owned) };
    let r = dispatch(Context::new(store).with_analytics(a), Command::Vote(v), who);
    assert!(matches!(r, Reply::Voted { recorded: true, .. }), "{r:?}");
}

on_both!(
    answers_and_votes_are_recorded_and_survive_a_restart,
    answers_and_votes_are_recorded_and_survive_a_restart_on_sqlite,
    answers_and_votes_are_recorded_and_survive_a_restart_on_postgres
);

fn answers_and_votes_are_recorded_and_survive_a_restart(backend: Backend) {
    let s = Scratch::shipped();
    let store = store(&s);
    for db in databases(&s, "restart", backend) {
        restart_case(&store, &db);
    }
}

fn restart_case(store: &Store, db: &Path) {
    let db = db.to_owned();
    let a = open(config(&db));
    let alice = person("alice");
    let answer = ask(store, &a, &alice, "Does the API have memory?");
    let id = answer.record.expect("a recorded answer has an id");
    ask(store, &a, &alice, "can I fine-tune in chatgpt?");
    vote(store, &a, &alice, id, true, None);
    // The same person changes their mind: one vote, now down.
    vote(store, &a, &alice, id, false, None);
    vote(store, &a, &person("bob"), id, false, Some("wanted the price of memory"));
    let st = stats(store, &a);
    assert_eq!((st.answers, st.helpful, st.unhelpful), (2, 0, 2), "{st:?}");
    assert_eq!(st.top_features.iter().find(|f| f.feature == "memory").map(|f| f.count), Some(1));
    assert!(st.latency_p50_ms.is_some() && st.health.open && st.health.write_failures == 0);
    drop(a);

    // A restart keeps everything; a vote up now makes one of each.
    let a = Analytics::open(config(&db));
    vote(store, &a, &person("carol"), id, true, None);
    let st = stats(store, &a);
    assert_eq!((st.answers, st.helpful, st.unhelpful), (2, 1, 2), "{st:?}");
    assert_eq!(st.helpful_ratio, Some(1.0 / 3.0));
    // Voted down counts as a gap, with the comment.
    let Reply::Gaps(g) = dispatch(Context::new(store).with_analytics(&a), Command::Gaps(Gaps { days: 30 }), &admin())
    else {
        panic!("gaps")
    };
    assert_eq!(g.questions, 1, "{g:?}");
    assert_eq!(g.groups[0].voted_down, 1);
    assert_eq!(g.groups[0].comments, ["wanted the price of memory"]);
    if is_postgres(&db) {
        // What /stats shows of a server URL hides its password.
        let shown = &st.health.database;
        assert!(!shown.contains(":productbot@") && shown.starts_with("postgres://productbot@127.0.0.1:"), "{st:?}");
    }
}

#[test]
fn user_ids_are_hashed_and_question_text_is_optional() {
    let s = Scratch::shipped();
    let store = store(&s);
    let db = s.path("a.db");
    let a = Analytics::open(AnalyticsConfig { store_questions: false, ..config(&db) });
    ask(&store, &a, &person("600000000000000001"), "Does the API have memory?");
    assert!(a.flush(FLUSH));
    let conn = rusqlite::Connection::open(&db).unwrap();
    let (user, question): (String, Option<String>) =
        conn.query_row("SELECT user_hash, question FROM answers", [], |r| Ok((r.get(0)?, r.get(1)?))).unwrap();
    assert!(!user.contains("600000000000000001") && user.len() >= 16, "{user}");
    assert_eq!(question, None);
    // Another install (another salt) hashes the same person differently.
    let other = Analytics::open(config(&s.path("b.db")));
    assert_ne!(other.user_hash("600000000000000001"), a.user_hash("600000000000000001"));
    assert_eq!(a.user_hash("600000000000000001"), user);
}

on_both!(
    declined_questions_about_one_missing_topic_form_one_gap,
    declined_questions_about_one_missing_topic_form_one_gap_on_sqlite,
    declined_questions_about_one_missing_topic_form_one_gap_on_postgres
);

fn declined_questions_about_one_missing_topic_form_one_gap(backend: Backend) {
    let s = Scratch::shipped();
    let store = store(&s);
    for db in databases(&s, "gaps", backend) {
        gaps_case(&store, &db);
    }
}

fn gaps_case(store: &Store, db: &Path) {
    let a = Analytics::open(config(db));
    let who = person("dave");
    let webhooks = [
        "does the API support webhooks?",
        "can chatgpt send webhook callbacks to my server",
        "how do i configure webhooks for the api",
    ];
    for q in webhooks {
        let answer = ask(store, &a, &who, q);
        assert!(
            answer.kind == Kind::OutOfScope || answer.confidence == productbot::answer::Confidence::Low,
            "{q}: answered with confidence"
        );
    }
    for q in ["what is the weather in paris", "who won the world cup in 2022", "Does the API have memory?"] {
        ask(store, &a, &who, q);
    }
    assert!(a.flush(FLUSH));
    let Reply::Gaps(g) = dispatch(Context::new(store).with_analytics(&a), Command::Gaps(Gaps { days: 7 }), &admin())
    else {
        panic!("gaps")
    };
    assert_eq!(g.questions, 5, "{g:?}");
    assert_eq!(g.groups[0].count, 3, "{g:?}");
    assert_eq!(g.groups[0].terms.first().map(String::as_str), Some("webhooks"), "{g:?}");
    // The example is the first asked (ties within a millisecond in any order).
    assert!(g.groups[0].example.as_deref().is_some_and(|e| webhooks.contains(&e)), "{g:?}");
    assert!(g.groups[1..].iter().all(|x| x.count == 1), "{g:?}");
    // Declined questions cite nothing; the report still names the closest section.
    assert!(g.groups.iter().all(|x| x.nearest_section.is_some()), "{g:?}");
    let text = productbot::render::text::reply(&Reply::Gaps(g), productbot::render::Style::PLAIN);
    assert!(text.contains("1. 3× about webhooks"), "{text}");
}

on_both!(
    retention_purges_old_records_at_start,
    retention_purges_old_records_at_start_on_sqlite,
    retention_purges_old_records_at_start_on_postgres
);

fn retention_purges_old_records_at_start(backend: Backend) {
    let s = Scratch::shipped();
    let store = store(&s);
    for db in databases(&s, "retention", backend) {
        let a = Analytics::open(AnalyticsConfig { retention_days: 30, ..config(&db) });
        ask(&store, &a, &person("erin"), "Does the API have memory?");
        assert!(a.flush(FLUSH));
        drop(a);
        // Two records written straight into the database: one 31 days old, one 29.
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64;
        for (id, days) in [(1i64, 31i64), (2, 29)] {
            execute(
                &db,
                &format!(
                    "INSERT INTO answers (id, at_ms, transport, guild_id, user_hash, question, kind, confidence, features, latency_us, revision)
                     VALUES ({id}, {}, 'discord', '1', 'x', 'old', 'search', 'high', '', 1, 'r')",
                    now - days * 86_400_000
                ),
            );
        }
        let a = open(AnalyticsConfig { retention_days: 30, ..config(&db) });
        let ids = query_ids(&db, "SELECT id FROM answers WHERE question = 'old'");
        assert_eq!(ids, [2], "{db:?}: the 31-day-old record is purged, the 29-day-old one kept");
        assert_eq!(stats(&store, &a).answers, 2, "{db:?}");
    }
}

#[test]
#[ignore = "needs PostgreSQL: PRODUCTBOT_TEST_POSTGRES (.ci/run starts a server and runs these)"]
fn two_replicas_share_one_postgres_database() {
    let s = Scratch::shipped();
    let store = store(&s);
    for db in databases(&s, "shared", Backend::Postgres) {
        // Two processes' handles on one database: one salt, both sets of records, votes across them.
        let (one, two) = (Analytics::open(config(&db)), Analytics::open(config(&db)));
        assert_eq!(one.user_hash("u"), two.user_hash("u"), "one salt for the install");
        let id = ask(&store, &one, &person("ivy"), "Does the API have memory?").record.unwrap();
        ask(&store, &two, &person("jon"), "does the API support webhooks?");
        assert!(one.flush(FLUSH) && two.flush(FLUSH));
        vote(&store, &two, &person("jon"), id, true, None);
        // The vote went through the other handle's queue.
        assert!(two.flush(FLUSH));
        let st = stats(&store, &one);
        assert_eq!((st.answers, st.helpful), (2, 1), "{st:?}");
    }
}

#[test]
fn a_locked_database_never_delays_or_stops_an_answer() {
    let s = Scratch::shipped();
    let store = store(&s);
    let db = s.path("l.db");
    let a = open(config(&db));
    // Another process holds the write lock for longer than the writer waits (5 s).
    let holder = rusqlite::Connection::open(&db).unwrap();
    holder.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let who = person("frank");
    let started = Instant::now();
    for _ in 0..50 {
        let answer = ask(&store, &a, &who, "Does the API have memory?");
        assert_eq!(answer.kind, Kind::Feature);
    }
    assert!(started.elapsed() < Duration::from_secs(4), "answers waited for the database: {:?}", started.elapsed());
    // The writer gives up on the locked file: faults are counted, not fatal.
    let deadline = Instant::now() + Duration::from_secs(30);
    while a.health().write_failures == 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    let h = a.health();
    assert!(h.write_failures >= 1 && h.last_error.as_deref().is_some_and(|e| e.contains("locked")), "{h:?}");
    holder.execute_batch("ROLLBACK").unwrap();
    drop(holder);
    // Once free, records flow again.
    ask(&store, &a, &who, "Does the API have memory?");
    assert!(a.flush(Duration::from_secs(300)));
    let st = stats(&store, &a);
    assert!(st.answers >= 1 && st.health.write_failures >= 1, "{st:?}");
    let text = productbot::render::text::reply(&Reply::Stats(Box::new(st)), productbot::render::Style::PLAIN);
    assert!(text.contains("write failures"), "{text}");
}

#[test]
fn an_unusable_database_path_loses_records_counted_and_says_so() {
    let s = Scratch::shipped();
    let store = store(&s);
    // The database's directory is a file: it cannot be created.
    std::fs::write(s.path("blocker"), "").unwrap();
    let a = Analytics::open(AnalyticsConfig { key_file: s.path("k.key"), ..config(&s.path("blocker/x.db")) });
    let answer = ask(&store, &a, &person("gina"), "Does the API have memory?");
    assert_eq!(answer.kind, Kind::Feature);
    assert!(a.flush(FLUSH));
    let h = a.health();
    assert!(!h.open && h.last_error.as_deref().is_some_and(|e| e.contains("blocker")), "{h:?}");
    assert_eq!(h.write_failures, 1, "the record was lost, and counted: {h:?}");
}

#[test]
fn analytics_off_records_nothing_and_gaps_say_why() {
    let s = Scratch::shipped();
    let store = store(&s);
    let a = Analytics::open(AnalyticsConfig { enabled: false, ..config(&s.path("off.db")) });
    let answer = ask(&store, &a, &person("hal"), "Does the API have memory?");
    assert_eq!(answer.record, None);
    assert!(!s.path("off.db").exists());
    let r = dispatch(Context::new(&store).with_analytics(&a), Command::Gaps(Gaps { days: 7 }), &admin());
    assert!(matches!(&r, Reply::Error { message } if message.contains("enabled = false")), "{r:?}");
    let r = dispatch(Context::new(&store).with_analytics(&a), Command::Gaps(Gaps { days: 7 }), &person("hal"));
    assert!(matches!(r, Reply::Refused { .. }), "/gaps is for admins");
}

// ---- the binary ----

struct Site {
    tmp: tempfile::TempDir,
}

impl Site {
    fn new() -> Site {
        let tmp = tempfile::tempdir().unwrap();
        support::copy_dir(&support::repo().join("corpus"), &tmp.path().join("corpus"));
        std::fs::copy(support::repo().join("bot.toml"), tmp.path().join("bot.toml")).unwrap();
        Site { tmp }
    }

    fn path(&self, p: &str) -> PathBuf {
        self.tmp.path().join(p)
    }

    fn cmd(&self, args: &[&str]) -> Process {
        let mut c = Process::new(env!("CARGO_BIN_EXE_productbot"));
        c.args(args).current_dir(self.tmp.path()).env("HOME", self.tmp.path()).env_remove("RUST_LOG");
        c
    }

    fn shell(&self, input: &str, as_nobody: bool) -> Output {
        use std::io::Write;
        use std::os::unix::process::CommandExt;
        let mut c = self.cmd(&["shell"]);
        if as_nobody && support::euid() == 0 {
            c.uid(65534).gid(65534);
        }
        let mut child = c.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn the_shell_records_and_the_cli_reports_gaps_stats_and_charts() {
    let site = Site::new();
    let o = site.shell("does the API support webhooks?\nDoes the API have memory?\nwebhooks in chatgpt??\n", false);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(site.path("data/productbot.db").is_file(), "the default database is created on first use");
    let o = site.cmd(&["gaps", "--json"]).output().unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
    let g: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(g["groups"][0]["count"], 2, "{g}");
    let o = site.cmd(&["stats", "--days", "3", "--png", "stats.png"]).output().unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("Last 3 days: 3 answers"), "{}", text(&o.stdout));
    assert!(std::fs::read(site.path("stats.png")).unwrap().starts_with(b"\x89PNG"));
    // `ask` records only when told to.
    assert!(site.cmd(&["ask", "what is memory?"]).output().unwrap().status.success());
    assert!(site.cmd(&["ask", "--record", "what is canvas?"]).output().unwrap().status.success());
    let o = site.cmd(&["stats", "--json"]).output().unwrap();
    let st: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(st["answers"], 4, "{st}");
    // The conversation form of cost draws its chart.
    let o = site
        .cmd(&[
            "cost",
            "--conversations-per-day",
            "20",
            "--turns",
            "10",
            "--user-tokens",
            "150",
            "--reply-tokens",
            "400",
        ])
        .arg("--png")
        .arg("cost.png")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(std::fs::read(site.path("cost.png")).unwrap().starts_with(b"\x89PNG"));
}

#[test]
fn a_read_only_database_leaves_every_answer_and_reports_the_fault_once() {
    use std::os::unix::fs::PermissionsExt;
    let site = Site::new();
    // A database made by the operator, then made read-only (and, as root, the bot runs as nobody so
    // that the mode holds). The index is built first, readable by all.
    assert!(site.shell("Does the API have memory?\n", false).status.success());
    let set = |p: &Path, mode: u32| std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
    for dir in ["", "corpus", "index", "data"] {
        set(&site.path(dir), 0o755);
    }
    for e in walk(&site.path("index")).into_iter().chain(walk(&site.path("corpus"))) {
        set(&e, if e.is_dir() { 0o755 } else { 0o644 });
    }
    for e in walk(&site.path("data")) {
        set(&e, 0o444);
    }
    set(&site.path("data"), 0o555);
    let questions = "Does the API have memory?\ncan I fine-tune in chatgpt?\nwhat is canvas?\n";
    let o = site.shell(questions, true);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert!(out.contains("No. The API does not offer memory."), "{out}");
    assert!(out.contains("ChatGPT does not offer fine-tuning"), "{out}");
    let err = text(&o.stderr);
    assert_eq!(err.matches("analytics database").count(), 1, "the fault is logged once: {err}");
    set(&site.path("data"), 0o755);
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        }
        out.push(p);
    }
    out
}

#[test]
#[ignore = "needs PostgreSQL: PRODUCTBOT_TEST_POSTGRES (.ci/run starts a server and runs these)"]
fn a_reindex_on_one_replica_reaches_the_others_through_postgres() {
    use std::sync::Arc;
    let s = Scratch::shipped();
    for db in databases(&s, "replicas", Backend::Postgres) {
        let url = db.to_str().unwrap();
        // Two replicas: one corpus directory (shared storage), an index each.
        let open = |index: &str| {
            let cfg = StoreConfig { corpus_dir: s.corpus(), index_dir: s.path(index), threads: 1, articles: None };
            Arc::new(Store::open(cfg, support::prices()).unwrap().0)
        };
        let (a, b) = (open("index-a"), open("index-b"));
        let before = b.snapshot().revision().corpus.clone();
        let b_listens = productbot::replicas::Replicas::join(url, b.clone());
        wait_until(FLUSH, "the replica listens", || b_listens.is_listening());
        let a_announces = productbot::replicas::Replicas::announcer(url);
        std::fs::write(s.corpus().join("webhooks.md"), "# Webhooks\n\nNeither product sends webhooks.\n").unwrap();
        let ctx = Context::new(&a).with_replicas(&a_announces);
        let Reply::Reindex(r) = dispatch(ctx, Command::Reindex(productbot::commands::reindex::Reindex), &admin())
        else {
            panic!("re-index failed")
        };
        assert_ne!(r.revision, before);
        assert_eq!(r.replicas.len(), 1, "{r:?}");
        assert_eq!(r.replicas[0].revision.as_deref(), Some(r.revision.as_str()), "{r:?}");
        assert_eq!(b.snapshot().revision().corpus, r.revision, "the other replica serves the new revision");
        let text = productbot::render::text::reindex(&r);
        assert!(text.contains(&format!("Other replicas: 1 of 1 switched to revision {}", r.revision)), "{text}");
    }
}

/// Waits until `cond` holds, failing with `what` after `timeout`.
fn wait_until(timeout: Duration, what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !cond() {
        assert!(Instant::now() < deadline, "{what}: not within {timeout:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn count(db: &Path, sql: &str) -> i64 {
    query_ids(db, sql).first().copied().unwrap_or(0)
}

// ---- faults (issue 21) ----

/// A PostgreSQL URL whose server accepts connections and never answers; the password must never
/// show.
fn silent_url(silent: &support::faulty::Faulty) -> String {
    format!("postgres://productbot:s3cr3t-pw@{}/analytics", silent.addr)
}

#[test]
fn a_silent_postgres_never_holds_an_answer_and_every_error_names_it() {
    let silent = support::faulty::Faulty::silent();
    let url = silent_url(&silent);
    let shown = format!("postgres://productbot@{}/analytics", silent.addr);
    let s = Scratch::shipped();
    let store = store(&s);
    let started = Instant::now();
    let a = Analytics::open(AnalyticsConfig { key_file: s.path("k.key"), ..config(Path::new(&url)) });
    for i in 0..20 {
        let answer = ask(&store, &a, &person(&format!("u{i}")), "Does the API have memory?");
        assert_eq!(answer.kind, Kind::Feature);
    }
    assert!(started.elapsed() < Duration::from_secs(2), "answers waited for the database: {:?}", started.elapsed());
    // Reads give up with an error naming the database (never its password).
    let started = Instant::now();
    let e = a.stats(7, None).unwrap_err().to_string();
    assert!(started.elapsed() < Duration::from_secs(15), "/stats waited {:?}", started.elapsed());
    assert!(e.contains(&shown) && e.contains("did not answer") && !e.contains("s3cr3t"), "{e}");
    // The writer gives up too: the 20 records are lost, counted, and the error names the database.
    assert!(a.flush(Duration::from_secs(30)));
    let h = a.health();
    assert!(!h.open && h.write_failures == 20, "{h:?}");
    let last = h.last_error.unwrap_or_default();
    assert!(last.contains(&shown) && !last.contains("s3cr3t"), "{last}");
    drop(a);

    // The command line: `ask --record` answers and ends; `stats` ends with an error naming it.
    let site = Site::new();
    for (args, ok) in [(&["ask", "--record", "Does the API have memory?"][..], true), (&["stats"][..], false)] {
        let started = Instant::now();
        let o = site.cmd(args).env("PRODUCTBOT__ANALYTICS__DATABASE", &url).output().unwrap();
        assert!(started.elapsed() < Duration::from_secs(30), "{args:?} took {:?}", started.elapsed());
        assert_eq!(o.status.success(), ok, "{args:?}: {}", text(&o.stderr));
        if ok {
            assert!(text(&o.stdout).contains("No. The API does not offer memory."), "{}", text(&o.stdout));
        } else {
            let err = text(&o.stderr);
            assert!(err.contains(&shown) && !err.contains("s3cr3t"), "{err}");
        }
    }
}

#[test]
fn a_reindex_says_when_the_other_replicas_could_not_be_reached() {
    let silent = support::faulty::Faulty::silent();
    let s = Scratch::shipped();
    let store = store(&s);
    let announcer = productbot::replicas::Replicas::announcer(&silent_url(&silent));
    let started = Instant::now();
    let ctx = Context::new(&store).with_replicas(&announcer);
    let Reply::Reindex(r) = dispatch(ctx, Command::Reindex(productbot::commands::reindex::Reindex), &admin()) else {
        panic!("re-index failed")
    };
    assert!(started.elapsed() < Duration::from_secs(20), "the announcement waited {:?}", started.elapsed());
    let text = productbot::render::text::reindex(&r);
    assert!(text.contains("Other replicas: not reached (database unavailable: "), "{text}");
    assert!(!text.contains("s3cr3t"), "{text}");
}

#[test]
fn an_sqlite_file_locked_at_start_is_used_when_it_is_free_and_every_lost_record_is_counted() {
    let s = Scratch::shipped();
    let store = store(&s);
    // SQLite: another process holds the write lock while the bot starts.
    let db = s.path("locked.db");
    {
        let setup = open(config(&db));
        drop(setup);
    }
    let holder = rusqlite::Connection::open(&db).unwrap();
    holder.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let a = Analytics::open(config(&db));
    let who = person("kim");
    for _ in 0..100 {
        ask(&store, &a, &who, "Does the API have memory?");
    }
    wait_until(Duration::from_secs(30), "the lock is reported", || {
        a.health().last_error.is_some_and(|e| e.contains("locked"))
    });
    holder.execute_batch("ROLLBACK").unwrap();
    drop(holder);
    assert!(a.wait_connected(Duration::from_secs(60)), "never opened once free: {:?}", a.health());
    down_then_up_accounting(&store, &a, &db, 100);
}

#[test]
#[ignore = "needs PostgreSQL: PRODUCTBOT_TEST_POSTGRES (.ci/run starts a server and runs these)"]
fn a_postgres_server_down_at_start_is_used_when_it_returns_and_the_replica_joins() {
    let s = Scratch::shipped();
    let store = store(&s);
    let who = person("kim");
    // PostgreSQL: down when the bot starts (and the replica joins), then back.
    for db in databases(&s, "down", Backend::Postgres) {
        let url = db.to_str().unwrap();
        let proxy = support::faulty::Faulty::in_front_of(url, support::faulty::Mode::Refuse);
        let via = PathBuf::from(proxy.url(url));
        let a = Analytics::open(AnalyticsConfig { key_file: key_for(&db), ..config(&via) });
        let other = std::sync::Arc::new(
            Store::open(
                StoreConfig { corpus_dir: s.corpus(), index_dir: s.path("index-other"), threads: 1, articles: None },
                support::prices(),
            )
            .unwrap()
            .0,
        );
        let replica = productbot::replicas::Replicas::join(via.to_str().unwrap(), other.clone());
        for _ in 0..100 {
            ask(&store, &a, &who, "Does the API have memory?");
        }
        assert!(a.flush(FLUSH));
        let h = a.health();
        assert!(!h.open && h.write_failures == 100, "{h:?}");
        assert!(!replica.is_listening());
        proxy.set(support::faulty::Mode::Forward);
        assert!(a.wait_connected(Duration::from_secs(90)), "never connected once up: {:?}", a.health());
        down_then_up_accounting(&store, &a, &db, 100);
        wait_until(Duration::from_secs(30), "the replica joins", || replica.is_listening());
        let announcer = productbot::replicas::Replicas::announcer(url);
        let ctx = Context::new(&store).with_replicas(&announcer);
        let Reply::Reindex(r) = dispatch(ctx, Command::Reindex(productbot::commands::reindex::Reindex), &admin())
        else {
            panic!("re-index failed")
        };
        assert_eq!(r.replicas.len(), 1, "{r:?}");
        assert_eq!(r.replicas[0].revision.as_deref(), Some(r.revision.as_str()), "{r:?}");
    }
}

/// After `lost` answers asked while `db` was down, 100 more once it is up: all of those are
/// written, and every answer is either in the database or counted as lost.
fn down_then_up_accounting(store: &Store, a: &Analytics, db: &Path, lost: u64) {
    let who = person("lee");
    for _ in 0..100 {
        ask(store, a, &who, "can I fine-tune in chatgpt?");
    }
    assert!(a.flush(FLUSH));
    let written = count(db, "SELECT COUNT(*) FROM answers") as u64;
    let h = a.health();
    assert!(h.open && written >= 100, "{db:?}: {written} written, {h:?}");
    assert_eq!(written + h.write_failures + h.dropped, lost + 100, "{db:?}: {written} written, {h:?}");
}

#[test]
fn a_deleted_sqlite_file_is_noticed_and_started_again() {
    let s = Scratch::shipped();
    let store = store(&s);
    let db = s.path("data/productbot.db");
    let a = open(config(&db));
    let who = person("max");
    for _ in 0..10 {
        ask(&store, &a, &who, "Does the API have memory?");
    }
    assert!(a.flush(FLUSH));
    assert_eq!(stats(&store, &a).answers, 10);
    // The operator deletes the file while the bot runs (to forget everything).
    std::fs::remove_file(&db).unwrap();
    for _ in 0..5 {
        ask(&store, &a, &who, "can I fine-tune in chatgpt?");
    }
    assert!(a.flush(FLUSH));
    assert!(db.is_file(), "a new file is started");
    assert_eq!(count(&db, "SELECT COUNT(*) FROM answers"), 5, "the records since go to the new file");
    let st = stats(&store, &a);
    assert_eq!((st.answers, st.health.write_failures), (5, 0), "{st:?}");
    // With nothing to write, the writer notices on its own schedule too.
    std::fs::remove_file(&db).unwrap();
    wait_until(Duration::from_secs(15), "the file is made again", || db.is_file());
}

on_both!(
    with_store_questions_off_no_free_text_is_kept,
    with_store_questions_off_no_free_text_is_kept_on_sqlite,
    with_store_questions_off_no_free_text_is_kept_on_postgres
);

fn with_store_questions_off_no_free_text_is_kept(backend: Backend) {
    let s = Scratch::shipped();
    let store = store(&s);
    for db in databases(&s, "notext", backend) {
        let a = open(AnalyticsConfig { store_questions: false, ..config(&db) });
        let id = ask(&store, &a, &person("ned"), "does the API support webhooks?").record.unwrap();
        let v = Vote { answer: id, helpful: false, comment: None };
        let r = dispatch(Context::new(&store).with_analytics(&a), Command::Vote(v), &person("ned"));
        assert!(matches!(r, Reply::Voted { recorded: true, ask_why: false, .. }), "no form to fill: {r:?}");
        vote(&store, &a, &person("ola"), id, false, Some("I wanted webhooks"));
        assert!(a.flush(FLUSH));
        assert_eq!(count(&db, "SELECT COUNT(*) FROM votes WHERE comment IS NOT NULL"), 0, "{db:?}");
        assert_eq!(count(&db, "SELECT COUNT(*) FROM answers WHERE question IS NOT NULL"), 0, "{db:?}");
        let Reply::Gaps(g) =
            dispatch(Context::new(&store).with_analytics(&a), Command::Gaps(Gaps { days: 7 }), &admin())
        else {
            panic!("gaps")
        };
        assert!(g.groups.iter().all(|x| x.comments.is_empty() && x.example.is_none()), "{db:?}: {g:?}");
    }
}

#[test]
fn purged_questions_and_comments_do_not_stay_readable_in_the_files() {
    let s = Scratch::shipped();
    let store = store(&s);
    let db = s.path("purge.db");
    let a = open(AnalyticsConfig { retention_days: 30, ..config(&db) });
    for i in 0..300 {
        let id = ask(&store, &a, &person("pat"), &format!("does the API support qzxmarker{i:03} webhooks?")).record;
        if i < 50 {
            vote(&store, &a, &person("quinn"), id.unwrap(), false, Some(&format!("wanted qzxcomment{i:03}")));
        }
    }
    assert!(a.flush(FLUSH));
    drop(a);
    // Two months pass.
    execute(&db, "UPDATE answers SET at_ms = at_ms - 5184000000; UPDATE votes SET at_ms = at_ms - 5184000000;");
    let a = open(AnalyticsConfig { retention_days: 30, ..config(&db) });
    assert_eq!(count(&db, "SELECT COUNT(*) FROM answers"), 0);
    let mut found = Vec::new();
    for file in ["purge.db", "purge.db-wal"] {
        let bytes = std::fs::read(s.path(file)).unwrap_or_default();
        let n = |marker: &[u8]| bytes.windows(marker.len()).filter(|w| *w == marker).count();
        found.push((file, n(b"qzxmarker"), n(b"qzxcomment")));
    }
    assert!(found.iter().all(|(_, q, c)| *q == 0 && *c == 0), "deleted text still readable: {found:?}");
    drop(a);
}

on_both!(
    gaps_group_a_month_of_questions_in_seconds_each_question_in_one_group,
    gaps_group_a_month_of_questions_in_seconds_each_question_in_one_group_on_sqlite,
    gaps_group_a_month_of_questions_in_seconds_each_question_in_one_group_on_postgres
);

fn gaps_group_a_month_of_questions_in_seconds_each_question_in_one_group(backend: Backend) {
    let s = Scratch::shipped();
    let store = store(&s);
    for db in databases(&s, "manygaps", backend) {
        let a = open(config(&db));
        drop(a);
        // 20,000 declined questions on 40 topics the corpus lacks, as people write them: several
        // words each (the topic's name and four of twenty words that go with it), written straight
        // into the database as a month of a busy server would have.
        let code = |i: usize| format!("{}{}", char::from(b'a' + (i % 26) as u8), char::from(b'a' + (i / 26) as u8));
        let fillers = ["how do i use", "can i get", "is there", "what about", "tell me about", "does it have"];
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64;
        let mut sql = String::from("BEGIN;");
        for i in 0..20_000usize {
            let topic = code((i * 7) % 40);
            let words: Vec<String> =
                (0..4).map(|k| format!("zq{topic}{}ol", char::from(b'a' + ((i * (k + 3) + k) % 20) as u8))).collect();
            let q = format!(
                "{} zq{topic}vex with {} and {}",
                fillers[i % fillers.len()],
                words[..2].join(" "),
                words[2..].join(" ")
            );
            sql.push_str(&format!(
                "INSERT INTO answers (id, at_ms, transport, guild_id, user_hash, question, kind, confidence, features, latency_us, revision)
                 VALUES ({}, {}, 'discord', '1', 'u', '{q}', 'out_of_scope', 'high', '', 1, 'r');",
                i + 1,
                now - 20_000 + i as i64
            ));
        }
        sql.push_str("COMMIT;");
        execute(&db, &sql);
        let a = open(config(&db));
        let started = Instant::now();
        let Reply::Gaps(g) =
            dispatch(Context::new(&store).with_analytics(&a), Command::Gaps(Gaps { days: 30 }), &admin())
        else {
            panic!("gaps")
        };
        let took = started.elapsed();
        // (The pairwise grouping took 38 s here in release.)
        let bound = Duration::from_secs(if cfg!(debug_assertions) { 120 } else { 20 });
        assert!(took < bound, "{db:?}: /gaps took {took:?}");
        assert_eq!((g.questions, g.grouped), (20_000, 20_000), "{db:?}");
        assert_eq!(g.groups.len() + g.more, 40, "{db:?}: one group per topic: {:?}", g.groups);
        assert!(g.groups.iter().all(|x| x.count == 500), "{db:?}");
    }
}

#[test]
fn reports_drop_invisible_characters_and_make_links_inert() {
    let s = Scratch::shipped();
    let store = store(&s);
    let a = open(config(&s.path("text.db")));
    let who = person("rae");
    let sneaky = "does the API support \u{202E}txt.exe\u{202C} webhooks\u{200B}? see https://evil.example/x";
    let id = ask(&store, &a, &who, sneaky).record.unwrap();
    vote(&store, &a, &who, id, false, Some("look at www.evil.example/\u{2067}y and \u{FEFF}this"));
    assert!(a.flush(FLUSH));
    let Reply::Gaps(g) = dispatch(Context::new(&store).with_analytics(&a), Command::Gaps(Gaps { days: 7 }), &admin())
    else {
        panic!("gaps")
    };
    let reply = Reply::Gaps(g);
    let invisible = |t: &str| t.chars().any(productbot::render::is_invisible);
    let cli = productbot::render::text::reply(&reply, productbot::render::Style::PLAIN);
    assert!(!invisible(&cli) && cli.contains("txt.exe") && cli.contains("webhooks"), "{cli}");
    let discord = productbot::discord::render::reply(&reply);
    let text: String = discord.embeds().iter().filter_map(|e| e.description.clone()).collect();
    assert!(!invisible(&text), "{text:?}");
    assert!(text.contains("`https://evil.example/x") && text.contains("`www.evil.example/y`"), "{text}");
    assert!(!text.contains(" https://") && !text.contains(" www."), "no bare link: {text}");
}

#[test]
fn gaps_on_discord_say_how_many_groups_did_not_fit() {
    let s = Scratch::shipped();
    let store = store(&s);
    let a = open(config(&s.path("long.db")));
    let who = person("sam");
    // 20 topics, each asked three times and voted down with a long comment: far more than one
    // Discord message holds.
    for i in 0..20u8 {
        let topic = format!("zq{}wub", char::from(b'a' + i));
        for _ in 0..3 {
            let q = format!("does the API support {topic}? {}", format!("{topic} ").repeat(20));
            let id = ask(&store, &a, &who, &q).record.unwrap();
            vote(&store, &a, &who, id, false, Some(&format!("I wanted {topic} ").repeat(12)));
        }
    }
    assert!(a.flush(FLUSH));
    let Reply::Gaps(g) = dispatch(Context::new(&store).with_analytics(&a), Command::Gaps(Gaps { days: 7 }), &admin())
    else {
        panic!("gaps")
    };
    assert_eq!(g.groups.len() + g.more, 20, "{g:?}");
    let rendered = productbot::discord::render::reply(&Reply::Gaps(g));
    let text: String = rendered.embeds().iter().filter_map(|e| e.description.clone()).collect::<Vec<_>>().join("\n");
    let total: usize = rendered.embeds().iter().map(|e| e.total_chars()).sum();
    assert!(total <= 6000, "{total}");
    let shown = text.lines().filter(|l| l.split_once(". ").is_some_and(|(n, _)| n.parse::<usize>().is_ok())).count();
    let more: usize = text
        .lines()
        .find_map(|l| l.strip_prefix("… and ")?.strip_suffix(" more groups")?.parse().ok())
        .unwrap_or_else(|| panic!("no 'and N more groups' line:\n{text}"));
    assert!(shown >= 3, "{text}");
    assert_eq!(shown + more, 20, "{text}");
}

/// The schema as the version before issue 21 left it (its one migration applied), in types both
/// backends take.
const PREVIOUS_SCHEMA: &str = "CREATE TABLE schema_migrations (version BIGINT PRIMARY KEY, applied_ms BIGINT NOT NULL);
     INSERT INTO schema_migrations (version, applied_ms) VALUES (1, 0);
     CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
     CREATE TABLE answers (id BIGINT PRIMARY KEY, at_ms BIGINT NOT NULL, transport TEXT NOT NULL, guild_id TEXT,
         channel_id TEXT, user_hash TEXT NOT NULL, question TEXT, kind TEXT NOT NULL, confidence TEXT NOT NULL,
         features TEXT NOT NULL, top_section TEXT, latency_us BIGINT NOT NULL, revision TEXT NOT NULL);
     CREATE INDEX answers_at ON answers (at_ms);
     CREATE TABLE votes (answer_id BIGINT NOT NULL, user_hash TEXT NOT NULL, helpful BIGINT NOT NULL, comment TEXT,
         at_ms BIGINT NOT NULL, PRIMARY KEY (answer_id, user_hash));
     CREATE INDEX votes_at ON votes (at_ms);";

on_both!(
    the_salt_is_a_private_key_file_never_in_the_database,
    the_salt_is_a_private_key_file_never_in_the_database_on_sqlite,
    the_salt_is_a_private_key_file_never_in_the_database_on_postgres
);

fn the_salt_is_a_private_key_file_never_in_the_database(backend: Backend) {
    let s = Scratch::shipped();
    let store = store(&s);
    for db in databases(&s, "salt", backend) {
        // A database made by the previous version, which kept its salt there: the salt is removed.
        execute(&db, PREVIOUS_SCHEMA);
        execute(&db, "INSERT INTO meta (key, value) VALUES ('salt', 'oldsaltoldsaltoldsalt')");
        let a = open(config(&db));
        ask(&store, &a, &person("600000000000000009"), "Does the API have memory?");
        assert!(a.flush(FLUSH));
        assert_eq!(count(&db, "SELECT COUNT(*) FROM meta"), 0, "{db:?}: nothing of the salt in the database");
        let key_file = key_for(&db);
        let key = std::fs::read_to_string(&key_file).unwrap();
        assert_eq!(key.trim().len(), 64, "{key_file:?}");
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777, 0o600);
        }
        let hashes: Vec<String> = if is_postgres(&db) {
            let mut c = postgres::Client::connect(db.to_str().unwrap(), postgres::NoTls).unwrap();
            c.query("SELECT user_hash FROM answers", &[]).unwrap().iter().map(|r| r.get(0)).collect()
        } else {
            let c = rusqlite::Connection::open(&db).unwrap();
            let mut st = c.prepare("SELECT user_hash FROM answers").unwrap();
            st.query_map([], |r| r.get(0)).unwrap().collect::<Result<_, _>>().unwrap()
        };
        assert_eq!(hashes, [a.user_hash("600000000000000009")]);
        if !is_postgres(&db) {
            let bytes = std::fs::read(&db).unwrap();
            assert!(!bytes.windows(20).any(|w| w == &key.as_bytes()[..20]), "the key is not in the file");
            assert!(!bytes.windows(12).any(|w| w == b"oldsaltoldsa"), "the old salt is overwritten");
        }
    }
}

on_both!(
    stats_show_the_faults_another_process_reported,
    stats_show_the_faults_another_process_reported_on_sqlite,
    stats_show_the_faults_another_process_reported_on_postgres
);

fn stats_show_the_faults_another_process_reported(backend: Backend) {
    let s = Scratch::shipped();
    let store = store(&s);
    for db in databases(&s, "health", backend) {
        // The serving process loses records to a lock another connection holds.
        let serving = open(config(&db));
        let lock: Box<dyn FnOnce()> = if is_postgres(&db) {
            let mut c = postgres::Client::connect(db.to_str().unwrap(), postgres::NoTls).unwrap();
            c.batch_execute("BEGIN; LOCK TABLE answers IN ACCESS EXCLUSIVE MODE").unwrap();
            Box::new(move || c.batch_execute("ROLLBACK").unwrap())
        } else {
            let c = rusqlite::Connection::open(&db).unwrap();
            c.execute_batch("BEGIN EXCLUSIVE").unwrap();
            Box::new(move || c.execute_batch("ROLLBACK").unwrap())
        };
        for _ in 0..3 {
            ask(&store, &serving, &person("tom"), "Does the API have memory?");
        }
        wait_until(Duration::from_secs(30), "the serving process counts its failures", || {
            serving.health().write_failures >= 3
        });
        lock();
        // The host's `productbot stats` is another process with its own handle.
        let host = open(config(&db));
        wait_until(Duration::from_secs(30), "the host sees the serving process's failures", || {
            stats(&store, &host).health.others.iter().any(|w| w.write_failures >= 3)
        });
        let st = stats(&store, &host);
        assert_eq!(st.health.write_failures, 0, "{st:?}");
        let text = productbot::render::text::reply(&Reply::Stats(Box::new(st)), productbot::render::Style::PLAIN);
        assert!(text.contains("this process") && text.contains("reported 3 write failures"), "{text}");
    }
}
