//! Sign-in throttling per client address, in memory. Per-account lockout lives in the
//! database (see `Accounts::login`) so that it survives restarts and spans servers.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A sliding window of sign-in attempts per client address.
#[derive(Debug)]
pub struct LoginThrottle {
    max_attempts: usize,
    window: Duration,
    attempts: Mutex<HashMap<IpAddr, Vec<Instant>>>,
}

impl LoginThrottle {
    pub fn new(max_attempts: usize, window: Duration) -> Self {
        Self {
            max_attempts,
            window,
            attempts: Mutex::new(HashMap::new()),
        }
    }

    /// Records an attempt from `ip` at `now`; `Err(seconds to wait)` when over the limit.
    pub fn check(&self, ip: IpAddr, now: Instant) -> Result<(), u64> {
        let mut attempts = self
            .attempts
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        // Forget addresses whose attempts have all expired, so memory stays bounded.
        if attempts.len() > 10_000 {
            attempts.retain(|_, times| times.iter().any(|t| now.duration_since(*t) < self.window));
        }
        let times = attempts.entry(ip).or_default();
        times.retain(|t| now.duration_since(*t) < self.window);
        if times.len() >= self.max_attempts {
            let oldest = times.first().copied().unwrap_or(now);
            let wait = self.window.saturating_sub(now.duration_since(oldest));
            return Err(wait.as_secs().max(1));
        }
        times.push(now);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_attempt_over_the_limit_waits_until_the_window_moves() {
        let throttle = LoginThrottle::new(3, Duration::from_secs(60));
        let ip: IpAddr = "192.0.2.7".parse().expect("ip");
        let other: IpAddr = "192.0.2.8".parse().expect("ip");
        let t0 = Instant::now();
        for i in 0..3 {
            assert_eq!(throttle.check(ip, t0 + Duration::from_secs(i)), Ok(()));
        }
        let refused = throttle.check(ip, t0 + Duration::from_secs(10));
        assert_eq!(refused, Err(50));
        assert_eq!(throttle.check(other, t0 + Duration::from_secs(10)), Ok(()));
        assert_eq!(throttle.check(ip, t0 + Duration::from_secs(61)), Ok(()));
    }
}
