//! Token-bucket rate limiting, one bucket per client address and one per user.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

/// Buckets idle this long are full again and can be forgotten.
const FORGET_AFTER_SECS: f64 = 600.0;
const SWEEP_AT_KEYS: usize = 100_000;

pub struct RateLimiter {
    per_second: f64,
    burst: f64,
    buckets: Mutex<HashMap<String, Bucket>>,
}

struct Bucket {
    tokens: f64,
    last: Instant,
}

/// The outcome of one request against a bucket, for the `X-Ratelimit-*` headers.
#[derive(Debug, Clone, Copy)]
pub struct Decision {
    pub allowed: bool,
    pub limit: u32,
    pub remaining: u32,
    /// Seconds until one more request is allowed (0 when allowed now).
    pub reset_secs: u64,
}

impl RateLimiter {
    pub fn new(per_second: u32, burst: u32) -> RateLimiter {
        RateLimiter {
            per_second: per_second.max(1) as f64,
            burst: burst.max(1) as f64,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    pub fn check(&self, key: &str) -> Decision {
        self.check_at(key, Instant::now())
    }

    fn check_at(&self, key: &str, now: Instant) -> Decision {
        let mut buckets = self.buckets.lock().unwrap();
        if buckets.len() >= SWEEP_AT_KEYS {
            buckets.retain(|_, b| now.duration_since(b.last).as_secs_f64() < FORGET_AFTER_SECS);
        }
        let bucket = buckets.entry(key.to_owned()).or_insert(Bucket {
            tokens: self.burst,
            last: now,
        });
        let elapsed = now.saturating_duration_since(bucket.last).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * self.per_second).min(self.burst);
        bucket.last = now;
        let allowed = bucket.tokens >= 1.0;
        if allowed {
            bucket.tokens -= 1.0;
        }
        let reset_secs = if allowed {
            0
        } else {
            ((1.0 - bucket.tokens) / self.per_second).ceil() as u64
        };
        Decision {
            allowed,
            limit: self.per_second as u32,
            remaining: bucket.tokens.floor() as u32,
            reset_secs,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn burst_then_refill() {
        let rl = RateLimiter::new(2, 3);
        let t0 = Instant::now();
        let allowed: Vec<bool> = (0..5).map(|_| rl.check_at("ip", t0).allowed).collect();
        assert_eq!(allowed, [true, true, true, false, false]);
        let denied = rl.check_at("ip", t0);
        assert_eq!((denied.remaining, denied.reset_secs), (0, 1));
        // Half a second at 2/s refills one token.
        assert!(rl.check_at("ip", t0 + Duration::from_millis(500)).allowed);
        assert!(!rl.check_at("ip", t0 + Duration::from_millis(500)).allowed);
        // Other keys are independent.
        assert!(rl.check_at("other", t0).allowed);
    }
}
