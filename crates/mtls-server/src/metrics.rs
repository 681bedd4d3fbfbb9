//! The counters `/metrics` serves, in Prometheus' text format, with Kong's metric names
//! where Kong has one (`kong_http_requests_total`, `kong_latency_ms`,
//! `kong_nginx_connections_total`, `kong_datastore_reachable`) and `mtls_` names for the rest.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use mtls_gateway::Snapshot;

/// Upper bounds of the latency histogram's buckets, in milliseconds.
const BUCKETS_MS: [u64; 13] = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];

/// A latency histogram.
#[derive(Debug, Default)]
struct Histogram {
    counts: [AtomicU64; BUCKETS_MS.len() + 1],
    sum_ms: AtomicU64,
}

impl Histogram {
    fn observe(&self, latency: Duration) {
        let ms = u64::try_from(latency.as_millis()).unwrap_or(u64::MAX);
        let bucket = BUCKETS_MS
            .iter()
            .position(|&b| ms <= b)
            .unwrap_or(BUCKETS_MS.len());
        if let Some(c) = self.counts.get(bucket) {
            c.fetch_add(1, Ordering::Relaxed);
        }
        self.sum_ms.fetch_add(ms, Ordering::Relaxed);
    }

    fn render(&self, out: &mut String, name: &str, labels: &str) {
        let mut cumulative = 0;
        for (i, bound) in BUCKETS_MS.iter().enumerate() {
            cumulative += self.counts.get(i).map_or(0, |c| c.load(Ordering::Relaxed));
            let _ = writeln!(out, "{name}_bucket{{{labels}le=\"{bound}\"}} {cumulative}");
        }
        cumulative += self
            .counts
            .get(BUCKETS_MS.len())
            .map_or(0, |c| c.load(Ordering::Relaxed));
        let _ = writeln!(out, "{name}_bucket{{{labels}le=\"+Inf\"}} {cumulative}");
        let _ = writeln!(
            out,
            "{name}_sum{{{}}} {}",
            labels.trim_end_matches(','),
            self.sum_ms.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "{name}_count{{{}}} {cumulative}",
            labels.trim_end_matches(',')
        );
    }
}

/// One request's outcome, as counted.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct RequestKey {
    pub(crate) route: Arc<str>,
    pub(crate) status: u16,
    /// `allowed`, the refusing plugin's name, or `gateway` for the gateway's own answers.
    pub(crate) outcome: &'static str,
}

/// The server's counters (shared by every connection; also read for `/status`).
#[derive(Debug, Default)]
pub struct Metrics {
    requests: Mutex<HashMap<RequestKey, u64>>,
    total_requests: AtomicU64,
    connections_accepted: AtomicU64,
    connections_active: AtomicI64,
    handshakes_with_certificate: AtomicU64,
    handshakes_without_certificate: AtomicU64,
    handshakes_failed: AtomicU64,
    revocation_answers: Mutex<HashMap<String, u64>>,
    /// Refusals by plugin and reason kind (the message Kong's plugin answers with: a small,
    /// fixed set per plugin).
    refusals: Mutex<HashMap<(&'static str, String), u64>>,
    upstream_latency: Histogram,
    config_version: AtomicU64,
    reloads_ok: AtomicU64,
    reloads_failed: AtomicU64,
    /// -1: no database (DB-less); 0 unreachable; 1 reachable.
    database_reachable: AtomicI64,
}

impl Metrics {
    /// Empty counters, with no database.
    pub fn new() -> Self {
        let m = Self::default();
        m.database_reachable.store(-1, Ordering::Relaxed);
        m
    }

    pub(crate) fn request(&self, key: RequestKey) {
        self.total_requests.fetch_add(1, Ordering::Relaxed);
        let mut requests = self.requests.lock().unwrap_or_else(PoisonError::into_inner);
        *requests.entry(key).or_default() += 1;
    }

    pub(crate) fn connection_opened(&self) {
        self.connections_accepted.fetch_add(1, Ordering::Relaxed);
        self.connections_active.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn connection_closed(&self) {
        self.connections_active.fetch_sub(1, Ordering::Relaxed);
    }

    pub(crate) fn handshake(&self, with_certificate: bool) {
        if with_certificate {
            &self.handshakes_with_certificate
        } else {
            &self.handshakes_without_certificate
        }
        .fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn handshake_failed(&self) {
        self.handshakes_failed.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn revocation_answer(&self, source: &str) {
        let mut answers = self
            .revocation_answers
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        match answers.get_mut(source) {
            Some(n) => *n += 1,
            None => {
                answers.insert(source.to_owned(), 1);
            }
        }
    }

    /// Counts a plugin's refusal under the message it answered with (`body` is the
    /// answer's JSON, `{"message": ...}`).
    pub(crate) fn refusal(&self, plugin: &'static str, body: &str) {
        let kind = serde_json::from_str::<serde_json::Value>(body)
            .ok()
            .and_then(|v| v["message"].as_str().map(str::to_owned))
            .unwrap_or_else(|| "-".to_owned());
        let mut refusals = self.refusals.lock().unwrap_or_else(PoisonError::into_inner);
        *refusals.entry((plugin, kind)).or_default() += 1;
    }

    pub(crate) fn upstream_latency(&self, latency: Duration) {
        self.upstream_latency.observe(latency);
    }

    /// Records a configuration load: its version on success.
    pub fn reloaded(&self, result: Result<u64, ()>) {
        match result {
            Ok(version) => {
                self.config_version.store(version, Ordering::Relaxed);
                self.reloads_ok.fetch_add(1, Ordering::Relaxed);
            }
            Err(()) => {
                self.reloads_failed.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// Configuration loads refused since the node started (a compile that failed: the
    /// running configuration kept serving).
    pub fn failed_reloads(&self) -> u64 {
        self.reloads_failed.load(Ordering::Relaxed)
    }

    /// Records whether the database answered (DB mode).
    pub fn database_reachable(&self, reachable: bool) {
        self.database_reachable
            .store(i64::from(reachable), Ordering::Relaxed);
    }

    /// Kong's `/status` `server` object.
    pub fn status_json(&self) -> serde_json::Value {
        let active = self.connections_active.load(Ordering::Relaxed).max(0);
        let accepted = self.connections_accepted.load(Ordering::Relaxed);
        serde_json::json!({
            "connections_active": active,
            "connections_reading": 0,
            "connections_writing": active,
            "connections_waiting": 0,
            "connections_accepted": accepted,
            "connections_handled": accepted,
            "total_requests": self.total_requests.load(Ordering::Relaxed),
        })
    }

    /// Whether the database is reachable: `None` without one.
    pub fn database(&self) -> Option<bool> {
        match self.database_reachable.load(Ordering::Relaxed) {
            -1 => None,
            n => Some(n == 1),
        }
    }

    /// Every counter in Prometheus' text format, with `snapshot`'s cache counters.
    pub fn render(&self, snapshot: &Snapshot) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# HELP kong_http_requests_total HTTP requests by route, status and plugin outcome"
        );
        let _ = writeln!(out, "# TYPE kong_http_requests_total counter");
        {
            let requests = self.requests.lock().unwrap_or_else(PoisonError::into_inner);
            let mut rows: Vec<_> = requests.iter().collect();
            rows.sort_by(|a, b| {
                (&*a.0.route, a.0.status, a.0.outcome).cmp(&(&*b.0.route, b.0.status, b.0.outcome))
            });
            for (key, n) in rows {
                let _ = writeln!(
                    out,
                    "kong_http_requests_total{{route=\"{}\",code=\"{}\",outcome=\"{}\"}} {n}",
                    escape(&key.route),
                    key.status,
                    key.outcome
                );
            }
        }
        let counter = |out: &mut String, name: &str, help: &str, rows: &[(&str, u64)]| {
            let _ = writeln!(out, "# HELP {name} {help}");
            let _ = writeln!(out, "# TYPE {name} counter");
            for (labels, n) in rows {
                let _ = writeln!(out, "{name}{labels} {n}");
            }
        };
        let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
        counter(
            &mut out,
            "mtls_tls_handshakes_total",
            "TLS handshakes by whether the client presented a certificate",
            &[
                (
                    "{client_certificate=\"yes\"}",
                    load(&self.handshakes_with_certificate),
                ),
                (
                    "{client_certificate=\"no\"}",
                    load(&self.handshakes_without_certificate),
                ),
                (
                    "{client_certificate=\"failed\"}",
                    load(&self.handshakes_failed),
                ),
            ],
        );
        let stats = snapshot.cache_stats();
        counter(
            &mut out,
            "mtls_validation_cache_total",
            "chain validations of the current configuration, by cache result",
            &[
                ("{result=\"hit\"}", stats.validation_hits),
                ("{result=\"miss\"}", stats.validation_misses),
            ],
        );
        {
            let answers = self
                .revocation_answers
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            let mut rows: Vec<(String, u64)> = answers
                .iter()
                .map(|(s, n)| (format!("{{source=\"{}\"}}", escape(s)), *n))
                .collect();
            rows.sort();
            let rows: Vec<(&str, u64)> = rows.iter().map(|(l, n)| (l.as_str(), *n)).collect();
            counter(
                &mut out,
                "mtls_revocation_answers_total",
                "revocation outcomes of allowed requests, by source",
                &rows,
            );
        }
        {
            let refusals = self.refusals.lock().unwrap_or_else(PoisonError::into_inner);
            let mut rows: Vec<(String, u64)> = refusals
                .iter()
                .map(|((plugin, kind), n)| {
                    (
                        format!("{{plugin=\"{plugin}\",reason=\"{}\"}}", escape(kind)),
                        *n,
                    )
                })
                .collect();
            rows.sort();
            let rows: Vec<(&str, u64)> = rows.iter().map(|(l, n)| (l.as_str(), *n)).collect();
            counter(
                &mut out,
                "mtls_refusals_total",
                "requests refused by a plugin, by plugin and reason",
                &rows,
            );
        }
        let _ = writeln!(
            out,
            "# HELP kong_upstream_latency_ms upstream latency (time to the response head)"
        );
        let _ = writeln!(out, "# TYPE kong_upstream_latency_ms histogram");
        self.upstream_latency
            .render(&mut out, "kong_upstream_latency_ms", "");
        let gauge = |out: &mut String, name: &str, help: &str, value: i64| {
            let _ = writeln!(out, "# HELP {name} {help}");
            let _ = writeln!(out, "# TYPE {name} gauge");
            let _ = writeln!(out, "{name} {value}");
        };
        gauge(
            &mut out,
            "mtls_config_version",
            "the serving configuration's version",
            i64::try_from(snapshot.version()).unwrap_or(i64::MAX),
        );
        counter(
            &mut out,
            "mtls_config_reloads_total",
            "configuration loads by result",
            &[
                ("{result=\"ok\"}", load(&self.reloads_ok)),
                ("{result=\"refused\"}", load(&self.reloads_failed)),
            ],
        );
        gauge(
            &mut out,
            "kong_nginx_connections_total",
            "connections accepted",
            i64::try_from(load(&self.connections_accepted)).unwrap_or(i64::MAX),
        );
        if let Some(reachable) = self.database() {
            gauge(
                &mut out,
                "kong_datastore_reachable",
                "whether the database answers",
                i64::from(reachable),
            );
        }
        out
    }
}

/// A label value with `\`, `"` and newlines escaped.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_are_cumulative() {
        let h = Histogram::default();
        h.observe(Duration::from_millis(3));
        h.observe(Duration::from_millis(30_000));
        let mut out = String::new();
        h.render(&mut out, "x", "");
        assert!(out.contains("x_bucket{le=\"5\"} 1"), "{out}");
        assert!(out.contains("x_bucket{le=\"+Inf\"} 2"), "{out}");
        assert!(out.contains("x_count{} 2"), "{out}");
        assert_eq!(escape("a\"b"), "a\\\"b");
    }
}
