//! Measuring helpers shared by the benchmarks (`cargo run --release -p X --example Y`).

use std::time::Duration;

/// CPU seconds this process has used (user and system, every thread), from /proc on Linux;
/// 0 elsewhere. On a busy machine CPU per operation stays comparable where rates do not.
pub fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th.
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // USER_HZ is 100 on every mainstream Linux.
    (ticks(11) + ticks(12)) / 100.0
}

/// The `q` quantile (0 to 1, nearest rank) of `samples` in milliseconds; 0 for none.
pub fn percentile_ms(samples: &mut [Duration], q: f64) -> f64 {
    if samples.is_empty() {
        return 0.0;
    }
    samples.sort();
    let last = samples.len() - 1;
    let i = ((last as f64 * q.clamp(0.0, 1.0)).round() as usize).min(last);
    samples[i].as_secs_f64() * 1e3
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_pick_the_nearest_rank() {
        let mut samples: Vec<Duration> = [5, 1, 4, 2, 3]
            .into_iter()
            .map(Duration::from_millis)
            .collect();
        assert_eq!(percentile_ms(&mut samples, 0.0), 1.0);
        assert_eq!(percentile_ms(&mut samples, 0.5), 3.0);
        assert_eq!(percentile_ms(&mut samples, 1.0), 5.0);
        assert_eq!(percentile_ms(&mut samples, 7.0), 5.0, "q is clamped");
        assert_eq!(percentile_ms(&mut [], 0.5), 0.0);
    }

    #[test]
    fn cpu_time_grows_with_work() {
        let before = cpu_seconds();
        let started = std::time::Instant::now();
        let mut x = 0u64;
        while started.elapsed() < Duration::from_millis(300) {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
        }
        std::hint::black_box(x);
        let used = cpu_seconds() - before;
        assert!(cfg!(not(target_os = "linux")) || used >= 0.1, "{used}");
    }
}
