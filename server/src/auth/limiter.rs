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

/// A login attempt that was counted before its password is checked: a success hands it
/// back ([`LoginLimiter::succeeded`]) so that it no longer counts.
#[must_use]
pub struct Attempt {
    at: Instant,
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

    /// Counts an attempt for this e-mail and address, or `Err(retry_after)` when either has
    /// used up its attempts. The check and the count happen under one lock, before any
    /// password is verified, so a parallel burst gets at most `per_email` answers other than
    /// 429 whatever its concurrency.
    pub fn begin(
        &self,
        email: &str,
        address: Option<IpAddr>,
        now: Instant,
    ) -> Result<Attempt, Duration> {
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
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
        if let Some(wait) = by_email.max(by_address) {
            return Err(wait.max(Duration::from_secs(1)));
        }
        record(&mut state.by_email, email.to_owned(), now, self.window);
        if let Some(address) = address {
            record(&mut state.by_address, address, now, self.window);
        }
        Ok(Attempt { at: now })
    }

    /// A successful login forgives the e-mail's failures, and its own attempt no longer
    /// counts against the address (the address's failures stay).
    pub fn succeeded(&self, email: &str, address: Option<IpAddr>, attempt: Attempt) {
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        state.by_email.remove(email);
        if let Some(address) = address
            && let Some(attempts) = state.by_address.get_mut(&address)
            && let Some(position) = attempts.iter().rposition(|at| *at == attempt.at)
        {
            attempts.remove(position);
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
            assert!(limiter.begin("a@x.pl", ADDR, start).is_ok());
        }
        let wait = limiter.begin("a@x.pl", ADDR, start).err().unwrap();
        assert_eq!(wait, Duration::from_secs(60));
        assert!(
            limiter.begin("b@x.pl", ADDR, start).is_ok(),
            "other e-mails unaffected"
        );
        assert!(
            limiter
                .begin("a@x.pl", ADDR, start + Duration::from_secs(60))
                .is_ok()
        );
    }

    #[test]
    fn blocks_an_address_across_emails() {
        let limiter = LoginLimiter::new(100, 5, Duration::from_secs(60));
        let now = Instant::now();
        for i in 0..5 {
            assert!(limiter.begin(&format!("u{i}@x.pl"), ADDR, now).is_ok());
        }
        assert!(limiter.begin("new@x.pl", ADDR, now).is_err());
        assert!(limiter.begin("new@x.pl", None, now).is_ok());
    }

    #[test]
    fn success_forgives_the_email() {
        let limiter = LoginLimiter::new(2, 3, Duration::from_secs(60));
        let now = Instant::now();
        let _failed = limiter.begin("a@x.pl", ADDR, now).ok().unwrap();
        let good = limiter.begin("a@x.pl", ADDR, now).ok().unwrap();
        assert!(limiter.begin("a@x.pl", ADDR, now).is_err());
        limiter.succeeded("a@x.pl", ADDR, good);
        // The e-mail is forgiven; the address keeps only the failure (1 of 3), so two more
        // attempts are allowed from it and the third is refused.
        assert!(limiter.begin("a@x.pl", ADDR, now).is_ok());
        assert!(limiter.begin("b@x.pl", ADDR, now).is_ok());
        assert!(limiter.begin("c@x.pl", ADDR, now).is_err());
    }

    #[test]
    fn parallel_attempts_are_counted_before_any_password_check() {
        let limiter = std::sync::Arc::new(LoginLimiter::new(10, 1000, Duration::from_secs(60)));
        let now = Instant::now();
        let allowed: usize = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..40)
                .map(|_| {
                    let limiter = limiter.clone();
                    scope.spawn(move || usize::from(limiter.begin("a@x.pl", ADDR, now).is_ok()))
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).sum()
        });
        assert_eq!(allowed, 10);
    }
}
