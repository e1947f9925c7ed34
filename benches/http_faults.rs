//! The HTTP interactions endpoint under attack (bench binary, `cargo bench --bench http_faults`):
//! the release binary serving HTTP only on 127.0.0.1 (analytics on, shipped limits), and, for
//! `FAULTS_SECS` (60 s; a short smoke run under `cargo test --benches`):
//! - the normal load: `FAULTS_CONCURRENCY` (32) clients posting signed `/ask` interactions over
//!   keep-alive connections, each a new interaction signed just before it is sent;
//! - `FAULTS_SLOW` (500) slow clients: each opens a connection and sends a request's headers one
//!   byte a second, and opens another when the server closes it;
//! - `FAULTS_OVERSIZED` (1,000) oversized unsigned bodies: connections that each announce and send
//!   1,999,999 bytes to `POST /interactions` without signature headers, all started at once when
//!   the attack begins, then again whenever one ends, until 1,000 have been sent.
//!
//! Reports the latency (p50/p99/max) and errors of the real requests during the attack, the server's
//! RSS before, during (peak) and after the attack (the attackers gone, `FAULTS_SETTLE_SECS` later),
//! and what the server counted: connections refused and shed, timeouts, unsigned and oversized
//! requests. Client and server share the machine's cores.

#[path = "support/interactions.rs"]
mod interactions;

use interactions::{Signer, hex, percentile};

use std::io::Write as _;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use ed25519_dalek::SigningKey;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|s| s.parse().ok()).unwrap_or(default)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn rss(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
        .unwrap_or(0)
        * 1024
}

fn mb(b: u64) -> f64 {
    b as f64 / 1_048_576.0
}

struct Load {
    signer: Signer,
    next: AtomicU64,
    errors: AtomicU64,
}

/// The normal load until `stop`: latencies of the requests it made.
async fn normal(load: Arc<Load>, url: String, concurrency: usize, stop: Arc<AtomicBool>) -> Vec<Duration> {
    let client = reqwest::Client::builder().pool_max_idle_per_host(concurrency).build().unwrap();
    let tasks: Vec<_> = (0..concurrency)
        .map(|_| {
            let (client, load, url, stop) = (client.clone(), load.clone(), url.clone(), stop.clone());
            tokio::spawn(async move {
                let mut lat = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    let id = load.next.fetch_add(1, Ordering::Relaxed) + 1;
                    let (body, sig, ts) = load.signer.sign(id);
                    let t = Instant::now();
                    let ok = match client
                        .post(&url)
                        .header("X-Signature-Ed25519", sig)
                        .header("X-Signature-Timestamp", ts)
                        .header("Content-Type", "application/json")
                        .body(body)
                        .send()
                        .await
                    {
                        Ok(r) => {
                            let status = r.status();
                            let body = r.bytes().await.unwrap_or_default();
                            let ok = status.is_success() && body.starts_with(b"{\"type\":4");
                            if !ok && load.errors.load(Ordering::Relaxed) == 0 {
                                eprintln!(
                                    "first error: {status} {}",
                                    String::from_utf8_lossy(&body[..body.len().min(200)])
                                );
                            }
                            ok
                        }
                        Err(e) => {
                            if load.errors.load(Ordering::Relaxed) == 0 {
                                eprintln!("first error: {e}");
                            }
                            false
                        }
                    };
                    lat.push(t.elapsed());
                    if !ok {
                        load.errors.fetch_add(1, Ordering::Relaxed);
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
    all.sort();
    all
}

/// What the attackers saw.
#[derive(Default)]
struct Seen {
    /// Slow connections the server closed (headers too late).
    slow_closed: AtomicU64,
    /// Connections that failed to connect, or were closed before sending anything back.
    refused: AtomicU64,
    oversized_sent: AtomicU64,
    /// Oversized requests answered with a status (401, 413, 503).
    oversized_answered: AtomicU64,
}

/// A slow client until `stop`: headers one byte a second, a new connection when one is closed.
async fn slow(addr: std::net::SocketAddr, stop: Arc<AtomicBool>, seen: Arc<Seen>) {
    let head = b"POST /interactions HTTP/1.1\r\nHost: bot\r\nContent-Type: application/json\r\nX-Slow: ";
    while !stop.load(Ordering::Relaxed) {
        let Ok(mut c) = TcpStream::connect(addr).await else {
            seen.refused.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(Duration::from_millis(200)).await;
            continue;
        };
        let mut i = 0;
        loop {
            if stop.load(Ordering::Relaxed) {
                return;
            }
            let byte = head.get(i).copied().unwrap_or(b'a');
            if c.write_all(&[byte]).await.is_err() {
                seen.slow_closed.fetch_add(1, Ordering::Relaxed);
                break;
            }
            i += 1;
            // Wait a second, noticing a close meanwhile.
            let mut buf = [0u8; 256];
            match tokio::time::timeout(Duration::from_secs(1), c.read(&mut buf)).await {
                Err(_) => {}
                Ok(_) => {
                    seen.slow_closed.fetch_add(1, Ordering::Relaxed);
                    break;
                }
            }
        }
    }
}

/// Oversized unsigned bodies, `total` of them, `at_once` at a time.
async fn oversized(addr: std::net::SocketAddr, total: u64, at_once: usize, seen: Arc<Seen>) {
    const LEN: usize = 1_999_999;
    let next = Arc::new(AtomicU64::new(0));
    let tasks: Vec<_> = (0..at_once)
        .map(|_| {
            let (next, seen) = (next.clone(), seen.clone());
            tokio::spawn(async move {
                let block = vec![b'x'; 64 * 1024];
                while next.fetch_add(1, Ordering::Relaxed) < total {
                    seen.oversized_sent.fetch_add(1, Ordering::Relaxed);
                    let Ok(mut c) = TcpStream::connect(addr).await else {
                        seen.refused.fetch_add(1, Ordering::Relaxed);
                        continue;
                    };
                    let head = format!(
                        "POST /interactions HTTP/1.1\r\nHost: bot\r\nContent-Type: application/json\r\nContent-Length: {LEN}\r\n\r\n"
                    );
                    let _ = c.write_all(head.as_bytes()).await;
                    let mut sent = 0;
                    while sent < LEN {
                        let n = block.len().min(LEN - sent);
                        if c.write_all(&block[..n]).await.is_err() {
                            break;
                        }
                        sent += n;
                    }
                    let mut buf = [0u8; 64];
                    match tokio::time::timeout(Duration::from_secs(15), c.read(&mut buf)).await {
                        Ok(Ok(n)) if n > 0 => {
                            seen.oversized_answered.fetch_add(1, Ordering::Relaxed);
                        }
                        _ => {}
                    }
                }
            })
        })
        .collect();
    for t in tasks {
        let _ = t.await;
    }
}

/// The server's counter `name` (summed over its labels).
async fn metric(base: &str, name: &str) -> f64 {
    let text = reqwest::get(format!("{base}/metrics")).await.unwrap().text().await.unwrap();
    text.lines()
        .filter(|l| l.starts_with(name) && !l.starts_with('#'))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let secs: u64 = env_or("FAULTS_SECS", if full { 60 } else { 3 });
    let concurrency: usize = env_or("FAULTS_CONCURRENCY", 32);
    let slow_clients: usize = env_or("FAULTS_SLOW", if full { 500 } else { 50 });
    let oversized_total: u64 = env_or("FAULTS_OVERSIZED", if full { 1000 } else { 50 });
    let settle: u64 = env_or("FAULTS_SETTLE_SECS", 5);

    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tmp = tempfile::tempdir().unwrap();
    let shipped = std::fs::read_to_string(root.join("bot.toml")).unwrap();
    // Prices live in the corpus; a [pricing] override in bot.toml, if any, is carried over.
    let pricing = shipped.find("\n[pricing]\n").map_or("", |i| &shipped[i..]);
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let toml = format!(
        "[corpus]\ndir = \"{}\"\n[index]\ndir = \"index\"\n[discord]\ngateway = false\n[discord.cooldown]\nquestions = 4000000000\nseconds = 1\n[http]\nlisten = \"127.0.0.1:{port}\"\n{pricing}",
        root.join("corpus").display()
    );
    std::fs::write(tmp.path().join("bot.toml"), toml).unwrap();
    let key = SigningKey::from_bytes(&[7u8; 32]);
    let mut server = std::process::Command::new(env!("CARGO_BIN_EXE_productbot"))
        .args(["--config", tmp.path().join("bot.toml").to_str().unwrap(), "serve"])
        .env("DISCORD_PUBLIC_KEY", hex(key.verifying_key().as_bytes()))
        .env_remove("DISCORD_TOKEN")
        .env("RUST_LOG", "productbot=warn")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid = server.id();
    let base = format!("http://127.0.0.1:{port}");
    let addr: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let questions: Vec<String> = std::fs::read_to_string(root.join("tests/data/dev.jsonl"))
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["q"].as_str().unwrap().to_owned())
        .collect();
    let load = Arc::new(Load { signer: Signer { key, questions }, next: AtomicU64::new(0), errors: AtomicU64::new(0) });

    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let report = rt.block_on(async {
        let started = Instant::now();
        while reqwest::get(format!("{base}/readyz")).await.map(|r| r.status().as_u16()).unwrap_or(0) != 200 {
            assert!(started.elapsed() < Duration::from_secs(120), "the server never became ready");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let url = format!("{base}/interactions");
        // Warm-up: the normal load alone, then the baseline.
        let stop = Arc::new(AtomicBool::new(false));
        let warm = tokio::spawn(normal(load.clone(), url.clone(), concurrency, stop.clone()));
        tokio::time::sleep(Duration::from_secs(if full { 10 } else { 1 })).await;
        stop.store(true, Ordering::Relaxed);
        let warm = warm.await.unwrap();
        tokio::time::sleep(Duration::from_secs(1)).await;
        let rss_before = rss(pid);
        let errors_before = load.errors.load(Ordering::Relaxed);

        // The attack, with the normal load throughout.
        let stop = Arc::new(AtomicBool::new(false));
        let seen = Arc::new(Seen::default());
        let real = tokio::spawn(normal(load.clone(), url.clone(), concurrency, stop.clone()));
        let slow_tasks: Vec<_> =
            (0..slow_clients).map(|_| tokio::spawn(slow(addr, stop.clone(), seen.clone()))).collect();
        let big = tokio::spawn(oversized(addr, oversized_total, oversized_total.min(1000) as usize, seen.clone()));
        let attack_started = Instant::now();
        let mut rss_peak = rss_before;
        while attack_started.elapsed() < Duration::from_secs(secs) {
            rss_peak = rss_peak.max(rss(pid));
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        stop.store(true, Ordering::Relaxed);
        let real = real.await.unwrap();
        for t in slow_tasks {
            let _ = t.await;
        }
        let _ = big.await;
        rss_peak = rss_peak.max(rss(pid));
        tokio::time::sleep(Duration::from_secs(settle)).await;
        let rss_after = rss(pid);
        let counters = [
            ("connections refused (closed at accept)", "productbot_http_connections_refused_total"),
            ("connections shed (503 to interactions)", "productbot_http_connections_shed_total"),
            ("requests timed out (408)", "productbot_http_timeouts_total"),
            ("unsigned requests refused (401)", "productbot_signature_failures_total"),
            ("oversized requests refused (413)", "productbot_interactions_total{outcome=\"too_large\""),
        ];
        let mut server_counts = Vec::new();
        for (what, name) in counters {
            server_counts.push((what, metric(&base, name).await));
        }
        (warm, real, rss_before, rss_peak, rss_after, errors_before, seen, server_counts)
    });
    let (warm, real, rss_before, rss_peak, rss_after, errors_before, seen, server_counts) = report;
    let _ = std::process::Command::new("kill").args(["-TERM", &pid.to_string()]).status();
    let _ = server.wait();

    let out = &mut std::io::stdout().lock();
    let errors = load.errors.load(Ordering::Relaxed) - errors_before;
    let _ = writeln!(
        out,
        "warm-up (normal load alone): {} requests, p50 {:.2} ms, p99 {:.2} ms",
        warm.len(),
        ms(percentile(&warm, 0.5)),
        ms(percentile(&warm, 0.99))
    );
    let _ = writeln!(
        out,
        "attack, {secs} s: {slow_clients} slow clients, {oversized_total} oversized unsigned bodies, {concurrency} clients of normal load"
    );
    let _ = writeln!(
        out,
        "real requests during the attack: {} ({:.0} req/s), p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms, {errors} errors",
        real.len(),
        real.len() as f64 / secs as f64,
        ms(percentile(&real, 0.5)),
        ms(percentile(&real, 0.99)),
        ms(real.last().copied().unwrap_or_default())
    );
    let _ = writeln!(
        out,
        "server RSS: {:.1} MB before, {:.1} MB peak during, {:.1} MB after ({settle} s after the attack ended; {:+.1} MB)",
        mb(rss_before),
        mb(rss_peak),
        mb(rss_after),
        mb(rss_after) - mb(rss_before)
    );
    let _ = writeln!(
        out,
        "attackers saw: {} slow connections closed by the server, {} oversized bodies sent ({} answered with a status), {} connections refused or reset before an answer",
        seen.slow_closed.load(Ordering::Relaxed),
        seen.oversized_sent.load(Ordering::Relaxed).min(oversized_total),
        seen.oversized_answered.load(Ordering::Relaxed),
        seen.refused.load(Ordering::Relaxed)
    );
    for (what, n) in server_counts {
        let _ = writeln!(out, "server counted: {what}: {}", n as u64);
    }
}
