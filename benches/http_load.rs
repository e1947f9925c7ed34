//! Load benchmark of the HTTP interactions endpoint (bench binary, `cargo bench --bench http_load`):
//! the bot serving HTTP only on 127.0.0.1 (analytics on, as shipped), and `CONCURRENCY` clients
//! posting signed `/ask` interactions (the dev questions, each from its own user so the per-user
//! cooldown does not refuse them). Reports throughput, p50/p99 latency and errors for the first pass
//! over a freshly opened index (cold: every passage still to analyze) and for a timed warm run.
//! Each request is a new interaction (its own id, signed just before it is sent, outside the timed
//! part): the endpoint refuses an interaction id it has handled already. Client and server share the
//! machine's cores. `cargo test --benches` runs a short smoke version.

#[path = "support/interactions.rs"]
mod interactions;

use interactions::{Signer, hex, percentile};

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use ed25519_dalek::SigningKey;

/// Posts signed `/ask` interactions from `concurrency` clients: `count` of them, or as many as fit
/// in `limit`. Interaction ids start after `first`.
async fn run(
    label: &str,
    url: &str,
    signer: Arc<Signer>,
    first: u64,
    (count, limit): (Option<u64>, Option<Duration>),
    concurrency: usize,
) -> (usize, u64) {
    let client = reqwest::Client::builder().pool_max_idle_per_host(concurrency).build().unwrap();
    let next = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let tasks: Vec<_> = (0..concurrency)
        .map(|_| {
            let (client, next, errors, signer, url) =
                (client.clone(), next.clone(), errors.clone(), signer.clone(), url.to_owned());
            tokio::spawn(async move {
                let mut lat = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let timed_out = limit.is_some_and(|l| started.elapsed() >= l);
                    if timed_out || count.is_some_and(|c| i >= c) {
                        break;
                    }
                    let (body, signature, ts) = signer.sign(first + i + 1);
                    let t = Instant::now();
                    let ok = match client
                        .post(&url)
                        .header("X-Signature-Ed25519", &signature)
                        .header("X-Signature-Timestamp", &ts)
                        .header("Content-Type", "application/json")
                        .body(body)
                        .send()
                        .await
                    {
                        Ok(resp) => {
                            let status = resp.status();
                            let body = resp.bytes().await.unwrap_or_default();
                            let ok = status.is_success() && body.starts_with(b"{\"type\":4");
                            if !ok && errors.load(Ordering::Relaxed) == 0 {
                                let shown = String::from_utf8_lossy(&body[..body.len().min(300)]).into_owned();
                                eprintln!("first error: {status} {shown}");
                            }
                            ok
                        }
                        Err(_) => false,
                    };
                    lat.push(t.elapsed());
                    if !ok {
                        errors.fetch_add(1, Ordering::Relaxed);
                    }
                }
                lat
            })
        })
        .collect();
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    let secs = started.elapsed().as_secs_f64();
    all.sort();
    let errors = errors.load(Ordering::Relaxed);
    println!(
        "{label}: {} requests in {secs:.2} s = {:.0} req/s; p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms; {errors} errors ({concurrency} concurrent)",
        all.len(),
        all.len() as f64 / secs,
        percentile(&all, 0.5).as_secs_f64() * 1e3,
        percentile(&all, 0.99).as_secs_f64() * 1e3,
        all.last().copied().unwrap_or_default().as_secs_f64() * 1e3,
    );
    (all.len(), errors)
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let concurrency: usize = std::env::var("LOAD_CONCURRENCY").ok().and_then(|s| s.parse().ok()).unwrap_or(32);
    let secs: u64 = std::env::var("LOAD_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(if full { 20 } else { 1 });
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tmp = tempfile::tempdir().unwrap();
    let shipped = std::fs::read_to_string(root.join("bot.toml")).unwrap();
    // Prices live in the corpus; a [pricing] override in bot.toml, if any, is carried over.
    let pricing = shipped.find("\n[pricing]\n").map_or("", |i| &shipped[i..]);
    let toml = format!(
        "[corpus]\ndir = \"{}\"\n[index]\ndir = \"index\"\n[discord]\ngateway = false\n[discord.cooldown]\nquestions = 4000000000\nseconds = 1\n[http]\nlisten = \"127.0.0.1:0\"\n{pricing}",
        root.join("corpus").display()
    );
    std::fs::write(tmp.path().join("bot.toml"), toml).unwrap();
    let key = SigningKey::from_bytes(&[7u8; 32]);
    let env = vec![("DISCORD_PUBLIC_KEY".to_owned(), hex(key.verifying_key().as_bytes()))];
    let config = productbot::config::Config::load_with_env(Some(&tmp.path().join("bot.toml")), env).unwrap();

    let questions: Vec<String> = std::fs::read_to_string(root.join("tests/data/dev.jsonl"))
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["q"].as_str().unwrap().to_owned())
        .collect();
    let n_questions = questions.len() as u64;
    let signer = Arc::new(Signer { key, questions });

    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let serve = tokio::spawn(productbot::app::serve_on(
            config,
            async move {
                let _ = rx.await;
            },
            Some(listener),
        ));
        let client = reqwest::Client::new();
        while client.get(format!("http://{addr}/readyz")).send().await.map(|r| r.status().as_u16()).unwrap_or(0) != 200
        {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let url = format!("http://{addr}/interactions");
        // Cold: the first pass over the questions on a freshly opened index.
        let cold = concurrency.min(n_questions as usize);
        run("cold index (first answer to each question)", &url, signer.clone(), 0, (Some(n_questions), None), cold)
            .await;
        let limit = (if full { None } else { Some(500) }, Some(Duration::from_secs(secs)));
        let (_, errors) = run("warm index", &url, signer, n_questions, limit, concurrency).await;
        let metrics = client.get(format!("http://{addr}/metrics")).send().await.unwrap().text().await.unwrap();
        for l in metrics.lines().filter(|l| l.starts_with("productbot_db_") || l.starts_with("productbot_cooldown")) {
            println!("  {l}");
        }
        let _ = tx.send(());
        serve.await.unwrap().unwrap();
        assert_eq!(errors, 0, "errors under load");
    });
}
