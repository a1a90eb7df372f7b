//! Prometheus metrics, kept as atomics and written in the text exposition format.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

/// Upper bounds (seconds) of the request-duration histogram.
const BUCKETS: [f64; 10] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0];

#[derive(Debug, Default)]
pub struct Metrics {
    responses: [AtomicU64; 5],
    buckets: [AtomicU64; BUCKETS.len()],
    duration_micros_sum: AtomicU64,
    requests: AtomicU64,
    logins_ok: AtomicU64,
    logins_failed: AtomicU64,
}

impl Metrics {
    pub fn observe(&self, status: u16, micros: u64) {
        let class = usize::from((status / 100).clamp(1, 5)) - 1;
        self.responses[class].fetch_add(1, Ordering::Relaxed);
        self.requests.fetch_add(1, Ordering::Relaxed);
        self.duration_micros_sum
            .fetch_add(micros, Ordering::Relaxed);
        let seconds = micros as f64 / 1e6;
        for (bound, bucket) in BUCKETS.iter().zip(&self.buckets) {
            if seconds <= *bound {
                bucket.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    pub fn login(&self, ok: bool) {
        let counter = if ok {
            &self.logins_ok
        } else {
            &self.logins_failed
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// The text exposition, with gauges supplied by the caller (e.g. ledger size).
    pub fn render(&self, gauges: &[(&str, &str, f64)]) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# HELP lifehealth_http_responses_total HTTP responses by status class."
        );
        let _ = writeln!(out, "# TYPE lifehealth_http_responses_total counter");
        for (i, counter) in self.responses.iter().enumerate() {
            let _ = writeln!(
                out,
                "lifehealth_http_responses_total{{class=\"{}xx\"}} {}",
                i + 1,
                counter.load(Ordering::Relaxed)
            );
        }
        let _ = writeln!(
            out,
            "# HELP lifehealth_http_request_duration_seconds Time to answer a request."
        );
        let _ = writeln!(
            out,
            "# TYPE lifehealth_http_request_duration_seconds histogram"
        );
        for (bound, bucket) in BUCKETS.iter().zip(&self.buckets) {
            let _ = writeln!(
                out,
                "lifehealth_http_request_duration_seconds_bucket{{le=\"{bound}\"}} {}",
                bucket.load(Ordering::Relaxed)
            );
        }
        let count = self.requests.load(Ordering::Relaxed);
        let _ = writeln!(
            out,
            "lifehealth_http_request_duration_seconds_bucket{{le=\"+Inf\"}} {count}"
        );
        let _ = writeln!(
            out,
            "lifehealth_http_request_duration_seconds_sum {}",
            self.duration_micros_sum.load(Ordering::Relaxed) as f64 / 1e6
        );
        let _ = writeln!(
            out,
            "lifehealth_http_request_duration_seconds_count {count}"
        );
        let _ = writeln!(
            out,
            "# HELP lifehealth_logins_total Sign-in attempts by outcome."
        );
        let _ = writeln!(out, "# TYPE lifehealth_logins_total counter");
        let _ = writeln!(
            out,
            "lifehealth_logins_total{{outcome=\"success\"}} {}",
            self.logins_ok.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "lifehealth_logins_total{{outcome=\"failure\"}} {}",
            self.logins_failed.load(Ordering::Relaxed)
        );
        for (name, help, value) in gauges {
            let _ = writeln!(out, "# HELP {name} {help}");
            let _ = writeln!(out, "# TYPE {name} gauge");
            let _ = writeln!(out, "{name} {value}");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn observations_land_in_their_class_and_buckets() {
        let m = Metrics::default();
        m.observe(200, 800);
        m.observe(404, 30_000);
        let text = m.render(&[("lifehealth_ledger_entries", "Entries.", 3.0)]);
        assert!(text.contains("lifehealth_http_responses_total{class=\"2xx\"} 1"));
        assert!(text.contains("lifehealth_http_responses_total{class=\"4xx\"} 1"));
        assert!(text.contains("lifehealth_http_request_duration_seconds_bucket{le=\"0.001\"} 1"));
        assert!(text.contains("lifehealth_http_request_duration_seconds_bucket{le=\"0.05\"} 2"));
        assert!(text.contains("lifehealth_http_request_duration_seconds_count 2"));
        assert!(text.contains("lifehealth_ledger_entries 3"));
    }
}
