//! Process metrics in Prometheus's text format (the `prometheus` crate), served by the HTTP
//! endpoint's `GET /metrics`. Counted where things happen: answers and re-indexes in the dispatcher,
//! interactions, signature failures and connections at the HTTP edge, cooldown refusals in the
//! transports; database write failures are read from analytics' own counters when scraped.

use std::sync::LazyLock;

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, Opts, Registry, TextEncoder,
};

pub struct Metrics {
    registry: Registry,
    pub answers: IntCounterVec,
    pub answer_seconds: HistogramVec,
    pub interactions: IntCounterVec,
    pub signature_failures: IntCounter,
    pub reindex: IntCounterVec,
    pub cooldown_refusals: IntCounter,
    pub escalations: IntCounter,
    pub db_write_failures: IntGauge,
    pub db_dropped: IntGauge,
    pub http_connections: IntGauge,
    pub http_connections_shed: IntCounter,
    pub http_connections_refused: IntCounter,
    pub http_timeouts: IntCounter,
}

fn counter_vec(r: &Registry, name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
    let c = IntCounterVec::new(Opts::new(name, help), labels).expect("valid metric");
    r.register(Box::new(c.clone())).expect("registered once");
    c
}

fn counter(r: &Registry, name: &str, help: &str) -> IntCounter {
    let c = IntCounter::new(name, help).expect("valid metric");
    r.register(Box::new(c.clone())).expect("registered once");
    c
}

fn gauge(r: &Registry, name: &str, help: &str) -> IntGauge {
    let g = IntGauge::new(name, help).expect("valid metric");
    r.register(Box::new(g.clone())).expect("registered once");
    g
}

/// The process's metrics.
pub static METRICS: LazyLock<Metrics> = LazyLock::new(|| {
    let r = Registry::new_custom(Some("productbot".into()), None).expect("valid prefix");
    let answer_seconds = HistogramVec::new(
        HistogramOpts::new("answer_seconds", "Time to make an answer, by kind")
            .buckets(vec![0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5]),
        &["kind"],
    )
    .expect("valid metric");
    r.register(Box::new(answer_seconds.clone())).expect("registered once");
    Metrics {
        answers: counter_vec(&r, "answers_total", "Answers made, by kind and confidence", &["kind", "confidence"]),
        answer_seconds,
        interactions: counter_vec(
            &r,
            "interactions_total",
            "HTTP interactions, by type and outcome",
            &["type", "outcome"],
        ),
        signature_failures: counter(&r, "signature_failures_total", "Interactions refused for their signature"),
        reindex: counter_vec(&r, "reindex_total", "Re-index runs, by outcome", &["outcome"]),
        cooldown_refusals: counter(&r, "cooldown_refusals_total", "Questions refused by the per-user cooldown"),
        escalations: counter(&r, "escalations_total", "Questions handed to the support role"),
        db_write_failures: gauge(
            &r,
            "db_write_failures",
            "Analytics records lost since start because the database could not be written",
        ),
        db_dropped: gauge(&r, "db_records_dropped", "Analytics records dropped (queue full)"),
        http_connections: gauge(&r, "http_connections", "HTTP connections open"),
        http_connections_shed: counter(
            &r,
            "http_connections_shed_total",
            "HTTP connections past http.max_connections, served health checks only (503 otherwise)",
        ),
        http_connections_refused: counter(
            &r,
            "http_connections_refused_total",
            "HTTP connections closed at once: past http.max_connections and the spare ones",
        ),
        http_timeouts: counter(&r, "http_timeouts_total", "HTTP requests whose body did not arrive in time (408)"),
        registry: r,
    }
});

impl Metrics {
    /// Everything, in the Prometheus text exposition format.
    pub fn render(&self) -> String {
        let mut out = Vec::new();
        // Encoding into a Vec cannot fail for these metric types.
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut out);
        String::from_utf8_lossy(&out).into_owned()
    }
}
