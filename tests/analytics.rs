//! Analytics on real databases: answers recorded through the one dispatcher, votes, coverage gaps,
//! statistics, restarts, retention, and a database that cannot be written (answers keep flowing, the
//! fault is reported). The storage tests run on an SQLite file and on a PostgreSQL server: the one
//! `PRODUCTBOT_TEST_POSTGRES` names (an admin URL; each test creates its own database there), which
//! `.ci/run` installs and starts. Without it PostgreSQL is skipped with a note, except with
//! `CI=true`, where a missing server fails. The Discord side of feedback is in `tests/feedback.rs`.

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

/// Where a test's database lives: a file in the test's temp dir, and a fresh PostgreSQL database
/// when a server is there (see `support::postgres_database`).
fn databases(s: &Scratch, name: &str) -> Vec<PathBuf> {
    let mut out = vec![s.path(&format!("{name}.db"))];
    out.extend(support::postgres_database().map(PathBuf::from));
    out
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

fn config(db: &Path) -> AnalyticsConfig {
    AnalyticsConfig { enabled: true, database: db.to_owned(), store_questions: true, retention_days: 90 }
}

fn store(s: &Scratch) -> Store {
    let cfg = StoreConfig { corpus_dir: s.corpus(), index_dir: s.index(), threads: 1 };
    Store::open(cfg, support::prices()).unwrap().0
}

fn person(id: &str) -> Caller {
    Caller {
        id: id.into(),
        name: id.into(),
        admin: false,
        origin: Origin { transport: "discord", guild: Some(1), channel: Some(2), record: true },
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

#[test]
fn answers_and_votes_are_recorded_and_survive_a_restart() {
    let s = Scratch::shipped();
    let store = store(&s);
    for db in databases(&s, "restart") {
        restart_case(&store, &db);
    }
}

fn restart_case(store: &Store, db: &Path) {
    let db = db.to_owned();
    let a = Analytics::open(config(&db));
    assert!(a.health().open, "{db:?}: {:?}", a.health());
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

#[test]
fn declined_questions_about_one_missing_topic_form_one_gap() {
    let s = Scratch::shipped();
    let store = store(&s);
    for db in databases(&s, "gaps") {
        gaps_case(&store, &db);
    }
}

fn gaps_case(store: &Store, db: &Path) {
    let a = Analytics::open(config(db));
    let who = person("dave");
    let webhooks = [
        "does the API support webhooks?",
        "can chatgpt send webhook callbacks to my server",
        "webhooks??? how do i set them up in openai",
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
    let text = productbot::render::text::reply(&Reply::Gaps(g), productbot::render::Style::PLAIN);
    assert!(text.contains("1. 3× about webhooks"), "{text}");
}

#[test]
fn retention_purges_old_records_at_start() {
    let s = Scratch::shipped();
    let store = store(&s);
    for db in databases(&s, "retention") {
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
                    "INSERT INTO answers (id, at_ms, transport, user_hash, question, kind, confidence, features, latency_us, revision)
                     VALUES ({id}, {}, 'shell', 'x', 'old', 'search', 'high', '', 1, 'r')",
                    now - days * 86_400_000
                ),
            );
        }
        let a = Analytics::open(AnalyticsConfig { retention_days: 30, ..config(&db) });
        let ids = query_ids(&db, "SELECT id FROM answers WHERE question = 'old'");
        assert_eq!(ids, [2], "{db:?}: the 31-day-old record is purged, the 29-day-old one kept");
        assert_eq!(stats(&store, &a).answers, 2, "{db:?}");
    }
}

#[test]
fn two_replicas_share_one_postgres_database() {
    let s = Scratch::shipped();
    let store = store(&s);
    for db in databases(&s, "shared").into_iter().filter(|d| is_postgres(d)) {
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
    let a = Analytics::open(config(&db));
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
fn an_unusable_database_path_turns_recording_off_and_says_so() {
    let s = Scratch::shipped();
    let store = store(&s);
    // The database's directory is a file: it cannot be created.
    std::fs::write(s.path("blocker"), "").unwrap();
    let a = Analytics::open(config(&s.path("blocker/x.db")));
    let answer = ask(&store, &a, &person("gina"), "Does the API have memory?");
    assert_eq!(answer.kind, Kind::Feature);
    assert_eq!(answer.record, None);
    let h = a.health();
    assert!(!h.open && h.last_error.as_deref().is_some_and(|e| e.contains("blocker")), "{h:?}");
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
fn a_reindex_on_one_replica_reaches_the_others_through_postgres() {
    use std::sync::Arc;
    let s = Scratch::shipped();
    for db in databases(&s, "replicas").into_iter().filter(|d| is_postgres(d)) {
        let url = db.to_str().unwrap();
        // Two replicas: one corpus directory (shared storage), an index each.
        let open = |index: &str| {
            let cfg = StoreConfig { corpus_dir: s.corpus(), index_dir: s.path(index), threads: 1 };
            Arc::new(Store::open(cfg, support::prices()).unwrap().0)
        };
        let (a, b) = (open("index-a"), open("index-b"));
        let before = b.snapshot().revision().corpus.clone();
        let _b_listens = productbot::replicas::Replicas::join(url, b.clone()).unwrap();
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

// ---- coverage gaps at scale, and reports safe to show (issue 21) ----

#[test]
fn gaps_group_a_month_of_questions_in_seconds_each_question_in_one_group() {
    let s = Scratch::shipped();
    let store = store(&s);
    for db in databases(&s, "manygaps") {
        let a = Analytics::open(config(&db));
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
                "INSERT INTO answers (id, at_ms, transport, user_hash, question, kind, confidence, features, latency_us, revision)
                 VALUES ({}, {}, 'discord', 'u', '{q}', 'out_of_scope', 'high', '', 1, 'r');",
                i + 1,
                now - 20_000 + i as i64
            ));
        }
        sql.push_str("COMMIT;");
        execute(&db, &sql);
        let a = Analytics::open(config(&db));
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
    let a = Analytics::open(config(&s.path("text.db")));
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
    let a = Analytics::open(config(&s.path("long.db")));
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
