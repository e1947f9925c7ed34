//! Per-user rate limit for questions: at most N per sliding window of S seconds, whichever transport
//! they come through (the service checks it once). With a shared window (PostgreSQL) the window is
//! counted in the database, so N replicas allow what one does; when the database cannot say, this
//! process counts alone. The clock is a parameter so tests step time instead of sleeping.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct Cooldown {
    max: usize,
    window: Duration,
    state: Mutex<State>,
    /// The database that holds the window every replica shares (PostgreSQL).
    shared: Option<std::sync::Arc<crate::analytics::Analytics>>,
}

struct State {
    /// Times of each user's accepted questions within the window, oldest first.
    users: HashMap<String, VecDeque<Instant>>,
    /// Map size at which idle users are swept out, so the map does not grow with every user ever seen.
    sweep_at: usize,
}

const MIN_SWEEP: usize = 1024;

impl Cooldown {
    pub fn new(max: u32, window: Duration) -> Self {
        Cooldown {
            max: max.max(1) as usize,
            window,
            state: Mutex::new(State { users: HashMap::new(), sweep_at: MIN_SWEEP }),
            shared: None,
        }
    }

    /// Counts in the analytics database when it is PostgreSQL, shared with other replicas (users by
    /// their pseudonym).
    pub fn shared(self, analytics: std::sync::Arc<crate::analytics::Analytics>) -> Self {
        Cooldown { shared: Some(analytics), ..self }
    }

    /// Records a question by `user` now, or says how long until the next one is allowed.
    pub fn check(&self, user: &str) -> Result<(), Duration> {
        if let Some(analytics) = &self.shared
            && let Ok(result) = analytics.cooldown_take(user, self.window, self.max as u32)
        {
            return result;
        }
        self.check_at(user, Instant::now())
    }

    /// [`Cooldown::check`] at a given time.
    pub fn check_at(&self, user: &str, now: Instant) -> Result<(), Duration> {
        let window = self.window;
        let expired = |t: &Instant| now.saturating_duration_since(*t) >= window;
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if st.users.len() >= st.sweep_at {
            st.users.retain(|_, times| times.back().is_some_and(|t| !expired(t)));
            st.sweep_at = (st.users.len() * 2).max(MIN_SWEEP);
        }
        let times = st.users.entry(user.to_owned()).or_default();
        while times.front().is_some_and(expired) {
            times.pop_front();
        }
        if times.len() < self.max {
            times.push_back(now);
            return Ok(());
        }
        let oldest = *times.front().expect("the window is full");
        Err(window.saturating_sub(now.saturating_duration_since(oldest)))
    }
}

/// Whole seconds to tell a user to wait, rounded up and at least 1.
pub fn wait_secs(wait: Duration) -> u64 {
    let s = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    s.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sliding_window_per_user() {
        let c = Cooldown::new(3, Duration::from_secs(30));
        let t0 = Instant::now();
        let at = |s: u64| t0 + Duration::from_secs(s);
        assert!(c.check_at("1", at(0)).is_ok());
        assert!(c.check_at("1", at(10)).is_ok());
        assert!(c.check_at("1", at(20)).is_ok());
        assert_eq!(c.check_at("1", at(21)), Err(Duration::from_secs(9)));
        // Another user is not affected.
        assert!(c.check_at("2", at(21)).is_ok());
        // The first question leaves the window at 30 s: one slot frees, not all three.
        assert!(c.check_at("1", at(30)).is_ok());
        assert_eq!(c.check_at("1", at(31)), Err(Duration::from_secs(9)));
        assert!(c.check_at("1", at(40)).is_ok());
        // Refused attempts do not extend the wait.
        assert_eq!(c.check_at("1", at(41)), Err(Duration::from_secs(9)));
        assert_eq!(c.check_at("1", at(42)), Err(Duration::from_secs(8)));
    }

    #[test]
    fn idle_users_are_swept() {
        let c = Cooldown::new(1, Duration::from_secs(1));
        let t0 = Instant::now();
        for u in 0..MIN_SWEEP as u64 {
            assert!(c.check_at(&u.to_string(), t0).is_ok());
        }
        assert!(c.check_at("99999", t0 + Duration::from_secs(5)).is_ok());
        assert_eq!(c.state.lock().unwrap().users.len(), 1);
    }

    #[test]
    fn wait_rounds_up() {
        assert_eq!(wait_secs(Duration::from_millis(8_100)), 9);
        assert_eq!(wait_secs(Duration::from_secs(9)), 9);
        assert_eq!(wait_secs(Duration::ZERO), 1);
    }
}
