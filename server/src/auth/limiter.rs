//! Limits failed logins per e-mail and per client address within a sliding window.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failed attempts allowed for one e-mail within the window (PROTOCOL.md: at most 10).
pub const FAILURES_PER_EMAIL: usize = 10;
/// Failed attempts allowed from one client address within the window: a call center shares
/// one address, so this is higher than the per-e-mail limit.
pub const FAILURES_PER_ADDRESS: usize = 100;
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Past this many tracked keys, expired ones are swept on the next failure.
const SWEEP_ABOVE: usize = 10_000;

pub struct LoginLimiter {
    state: Mutex<State>,
    per_email: usize,
    per_address: usize,
    window: Duration,
}

#[derive(Default)]
struct State {
    by_email: HashMap<String, VecDeque<Instant>>,
    by_address: HashMap<IpAddr, VecDeque<Instant>>,
}

impl Default for LoginLimiter {
    fn default() -> Self {
        LoginLimiter::new(FAILURES_PER_EMAIL, FAILURES_PER_ADDRESS, WINDOW)
    }
}

fn prune(failures: &mut VecDeque<Instant>, now: Instant, window: Duration) {
    while failures
        .front()
        .is_some_and(|at| now.duration_since(*at) >= window)
    {
        failures.pop_front();
    }
}

/// When the oldest failure leaves the window, if `limit` failures are in it.
fn blocked_for(
    failures: Option<&mut VecDeque<Instant>>,
    limit: usize,
    now: Instant,
    window: Duration,
) -> Option<Duration> {
    let failures = failures?;
    prune(failures, now, window);
    if failures.len() < limit {
        return None;
    }
    let oldest = *failures.front()?;
    Some(window.saturating_sub(now.duration_since(oldest)))
}

fn record<K: Eq + Hash>(
    map: &mut HashMap<K, VecDeque<Instant>>,
    key: K,
    now: Instant,
    window: Duration,
) {
    if map.len() > SWEEP_ABOVE {
        map.retain(|_, failures| {
            prune(failures, now, window);
            !failures.is_empty()
        });
    }
    map.entry(key).or_default().push_back(now);
}

impl LoginLimiter {
    pub fn new(per_email: usize, per_address: usize, window: Duration) -> Self {
        LoginLimiter {
            state: Mutex::new(State::default()),
            per_email,
            per_address,
            window,
        }
    }

    /// `Err(retry_after)` when this e-mail or address has used up its failed attempts.
    pub fn check(
        &self,
        email: &str,
        address: Option<IpAddr>,
        now: Instant,
    ) -> Result<(), Duration> {
        let Ok(mut state) = self.state.lock() else {
            return Ok(());
        };
        let by_email = blocked_for(
            state.by_email.get_mut(email),
            self.per_email,
            now,
            self.window,
        );
        let by_address = address.and_then(|address| {
            blocked_for(
                state.by_address.get_mut(&address),
                self.per_address,
                now,
                self.window,
            )
        });
        match by_email.max(by_address) {
            Some(wait) => Err(wait.max(Duration::from_secs(1))),
            None => Ok(()),
        }
    }

    pub fn record_failure(&self, email: &str, address: Option<IpAddr>, now: Instant) {
        let Ok(mut state) = self.state.lock() else {
            return;
        };
        record(&mut state.by_email, email.to_owned(), now, self.window);
        if let Some(address) = address {
            record(&mut state.by_address, address, now, self.window);
        }
    }

    /// A successful login forgives the e-mail's failures (not the address's).
    pub fn record_success(&self, email: &str) {
        if let Ok(mut state) = self.state.lock() {
            state.by_email.remove(email);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ADDR: Option<IpAddr> = Some(IpAddr::V4(std::net::Ipv4Addr::LOCALHOST));

    #[test]
    fn blocks_an_email_after_its_limit_until_the_window_passes() {
        let limiter = LoginLimiter::new(3, 100, Duration::from_secs(60));
        let start = Instant::now();
        for _ in 0..3 {
            assert!(limiter.check("a@x.pl", ADDR, start).is_ok());
            limiter.record_failure("a@x.pl", ADDR, start);
        }
        let wait = limiter.check("a@x.pl", ADDR, start).unwrap_err();
        assert_eq!(wait, Duration::from_secs(60));
        assert!(
            limiter.check("b@x.pl", ADDR, start).is_ok(),
            "other e-mails unaffected"
        );
        assert!(
            limiter
                .check("a@x.pl", ADDR, start + Duration::from_secs(60))
                .is_ok()
        );
    }

    #[test]
    fn blocks_an_address_across_emails() {
        let limiter = LoginLimiter::new(100, 5, Duration::from_secs(60));
        let now = Instant::now();
        for i in 0..5 {
            limiter.record_failure(&format!("u{i}@x.pl"), ADDR, now);
        }
        assert!(limiter.check("new@x.pl", ADDR, now).is_err());
        assert!(limiter.check("new@x.pl", None, now).is_ok());
    }

    #[test]
    fn success_forgives_the_email() {
        let limiter = LoginLimiter::new(2, 100, Duration::from_secs(60));
        let now = Instant::now();
        limiter.record_failure("a@x.pl", ADDR, now);
        limiter.record_failure("a@x.pl", ADDR, now);
        assert!(limiter.check("a@x.pl", ADDR, now).is_err());
        limiter.record_success("a@x.pl");
        assert!(limiter.check("a@x.pl", ADDR, now).is_ok());
    }
}
