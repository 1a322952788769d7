//! Limits login attempts per e-mail and per client address within a sliding window.
//!
//! An attempt counts from the moment it begins (before its password is checked), so
//! concurrency cannot buy more answers than the limit; a success forgives the e-mail's
//! finished failures (never attempts still in flight) and no longer counts against the
//! address. IPv6 clients are counted per /64, the block one subscriber gets.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failed attempts allowed for one e-mail within the window (PROTOCOL.md: at most 10).
pub const FAILURES_PER_EMAIL: usize = 10;
/// Failed attempts allowed from one client address within the window: a call center shares
/// one address, so this is higher than the per-e-mail limit.
pub const FAILURES_PER_ADDRESS: usize = 100;
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Expired keys are swept when a map grows past this, or past twice its size after the
/// last sweep (so a sweep costs amortized O(1) per attempt).
const SWEEP_ABOVE: usize = 10_000;

pub struct LoginLimiter {
    state: Mutex<State>,
    per_email: usize,
    per_address: usize,
    window: Duration,
}

#[derive(Clone, Copy)]
struct Entry {
    at: Instant,
    id: u64,
    failed: bool,
}

struct Tracked<K> {
    map: HashMap<K, VecDeque<Entry>>,
    sweep_above: usize,
}

impl<K: Eq + Hash> Default for Tracked<K> {
    fn default() -> Self {
        Tracked {
            map: HashMap::new(),
            sweep_above: SWEEP_ABOVE,
        }
    }
}

#[derive(Default)]
struct State {
    by_email: Tracked<String>,
    by_address: Tracked<IpAddr>,
    next_id: u64,
}

impl Default for LoginLimiter {
    fn default() -> Self {
        LoginLimiter::new(FAILURES_PER_EMAIL, FAILURES_PER_ADDRESS, WINDOW)
    }
}

fn prune(entries: &mut VecDeque<Entry>, now: Instant, window: Duration) {
    while entries
        .front()
        .is_some_and(|entry| now.duration_since(entry.at) >= window)
    {
        entries.pop_front();
    }
}

/// When the oldest attempt leaves the window, if `limit` attempts are in it.
fn blocked_for(
    entries: Option<&mut VecDeque<Entry>>,
    limit: usize,
    now: Instant,
    window: Duration,
) -> Option<Duration> {
    let entries = entries?;
    prune(entries, now, window);
    if entries.len() < limit {
        return None;
    }
    let oldest = entries.front()?.at;
    Some(window.saturating_sub(now.duration_since(oldest)))
}

impl<K: Eq + Hash> Tracked<K> {
    fn record(&mut self, key: K, entry: Entry, window: Duration) {
        if self.map.len() > self.sweep_above {
            self.map.retain(|_, entries| {
                prune(entries, entry.at, window);
                !entries.is_empty()
            });
            self.sweep_above = SWEEP_ABOVE.max(2 * self.map.len());
        }
        self.map.entry(key).or_default().push_back(entry);
    }

    fn update(&mut self, key: &K, change: impl FnOnce(&mut VecDeque<Entry>)) {
        if let Some(entries) = self.map.get_mut(key) {
            change(entries);
            if entries.is_empty() {
                self.map.remove(key);
            }
        }
    }
}

/// The key an address is counted under: IPv4 (also when mapped into IPv6), or an IPv6
/// address's /64.
fn address_key(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & !((1u128 << 64) - 1))),
        },
        v4 => v4,
    }
}

/// A login attempt that was counted before its password is checked: report how it ended
/// with [`LoginLimiter::failed`] or [`LoginLimiter::succeeded`].
#[must_use]
pub struct Attempt {
    id: u64,
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

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
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
        let address = address.map(address_key);
        let mut state = self.state();
        let by_email = blocked_for(
            state.by_email.map.get_mut(email),
            self.per_email,
            now,
            self.window,
        );
        let by_address = address.and_then(|address| {
            blocked_for(
                state.by_address.map.get_mut(&address),
                self.per_address,
                now,
                self.window,
            )
        });
        if let Some(wait) = by_email.max(by_address) {
            return Err(wait.max(Duration::from_secs(1)));
        }
        state.next_id += 1;
        let entry = Entry {
            at: now,
            id: state.next_id,
            failed: false,
        };
        state.by_email.record(email.to_owned(), entry, self.window);
        if let Some(address) = address {
            state.by_address.record(address, entry, self.window);
        }
        Ok(Attempt { id: entry.id })
    }

    /// The attempt failed: it keeps counting, and a later success may forgive it.
    pub fn failed(&self, email: &str, attempt: Attempt) {
        self.state().by_email.update(&email.to_owned(), |entries| {
            for entry in entries.iter_mut().filter(|entry| entry.id == attempt.id) {
                entry.failed = true;
            }
        });
    }

    /// A successful login forgives the e-mail's finished failures (attempts still being
    /// checked keep counting), and its own attempt no longer counts against the address
    /// (the address's failures stay).
    pub fn succeeded(&self, email: &str, address: Option<IpAddr>, attempt: Attempt) {
        let mut state = self.state();
        state.by_email.update(&email.to_owned(), |entries| {
            entries.retain(|entry| !entry.failed && entry.id != attempt.id);
        });
        if let Some(address) = address.map(address_key) {
            state.by_address.update(&address, |entries| {
                entries.retain(|entry| entry.id != attempt.id);
            });
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

    /// A limiter with a 60 s window, tried at one instant from `ADDR`.
    struct Probe {
        limiter: LoginLimiter,
        now: Instant,
    }

    impl Probe {
        fn new(per_email: usize, per_address: usize) -> Probe {
            Probe {
                limiter: LoginLimiter::new(per_email, per_address, Duration::from_secs(60)),
                now: Instant::now(),
            }
        }

        /// Begins an attempt for each e-mail in turn; each must be let through.
        fn allows<const N: usize>(&self, emails: [&str; N]) -> [Attempt; N] {
            emails.map(|email| {
                self.limiter
                    .begin(email, ADDR, self.now)
                    .unwrap_or_else(|wait| panic!("{email} refused for {wait:?}"))
            })
        }

        fn refuses(&self, email: &str) {
            assert!(
                self.limiter.begin(email, ADDR, self.now).is_err(),
                "{email} let through"
            );
        }
    }

    #[test]
    fn success_forgives_the_email() {
        let probe = Probe::new(2, 3);
        let [failed] = probe.allows(["a@x.pl"]);
        probe.limiter.failed("a@x.pl", failed);
        let [good] = probe.allows(["a@x.pl"]);
        probe.refuses("a@x.pl");
        probe.limiter.succeeded("a@x.pl", ADDR, good);
        // The e-mail is forgiven; the address keeps only the failure (1 of 3), so two more
        // attempts are allowed from it and the third is refused.
        let _allowed = probe.allows(["a@x.pl", "b@x.pl"]);
        probe.refuses("c@x.pl");
    }

    #[test]
    fn a_success_never_forgives_attempts_still_being_checked() {
        let probe = Probe::new(3, 100);
        let [in_flight, done] = probe.allows(["a@x.pl"; 2]);
        probe.limiter.failed("a@x.pl", done);
        let [good] = probe.allows(["a@x.pl"]);
        probe.limiter.succeeded("a@x.pl", ADDR, good);
        // The finished failure and the success are gone; the one in flight still counts.
        let _allowed = probe.allows(["a@x.pl"; 2]);
        probe.refuses("a@x.pl");
        probe.limiter.failed("a@x.pl", in_flight);
    }

    #[test]
    fn ipv6_clients_count_per_64_and_mapped_ipv4_as_ipv4() {
        let limiter = LoginLimiter::new(100, 2, Duration::from_secs(60));
        let now = Instant::now();
        let a: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        let other: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert!(limiter.begin("a@x.pl", Some(a), now).is_ok());
        assert!(limiter.begin("b@x.pl", Some(b), now).is_ok());
        assert!(limiter.begin("c@x.pl", Some(a), now).is_err(), "one /64");
        assert!(limiter.begin("c@x.pl", Some(other), now).is_ok());
        let v4: IpAddr = "192.0.2.1".parse().unwrap();
        let mapped: IpAddr = "::ffff:192.0.2.1".parse().unwrap();
        assert!(limiter.begin("a@x.pl", Some(v4), now).is_ok());
        assert!(limiter.begin("b@x.pl", Some(mapped), now).is_ok());
        assert!(limiter.begin("c@x.pl", Some(v4), now).is_err());
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
