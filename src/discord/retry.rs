//! REST calls that survive Discord's transient failures: a 429 (rate limited: the route's bucket or
//! the global limit, or a proxy's) is retried after a pause, and a 502/503/504 (Discord's "try again
//! later") once, all within a time budget; anything else fails at once. Errors say what failed and,
//! for a timeout, that it was one. serenity's own rate limiter handles 429s when it is on; with a
//! REST proxy (`discord.api_proxy`) it is off, and these retries are what remains.

use std::future::Future;
use std::time::Duration;

use serenity::all::HttpError;
use tokio::time::Instant;
use tracing::warn;

/// How long an interaction response may keep retrying: Discord drops the interaction after 3 s.
pub const INTERACTION_BUDGET: Duration = Duration::from_millis(2_000);
/// For messages and follow-ups, which have no such deadline.
pub const MESSAGE_BUDGET: Duration = Duration::from_secs(10);

const FIRST_PAUSE: Duration = Duration::from_millis(200);

/// What kind of failure a serenity error is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    RateLimited,
    Unavailable,
    TimedOut,
    Other,
}

pub fn classify(e: &serenity::Error) -> Failure {
    match e {
        serenity::Error::Http(HttpError::UnsuccessfulRequest(r)) => match r.status_code.as_u16() {
            429 => Failure::RateLimited,
            502..=504 => Failure::Unavailable,
            _ => Failure::Other,
        },
        serenity::Error::Http(HttpError::Request(r)) if r.is_timeout() => Failure::TimedOut,
        _ => Failure::Other,
    }
}

/// Runs `call` until it succeeds, fails for good, or `budget` would be exceeded.
pub async fn retry<T, F, Fut>(what: &str, budget: Duration, mut call: F) -> serenity::Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = serenity::Result<T>>,
{
    let deadline = Instant::now() + budget;
    let mut pause = FIRST_PAUSE;
    let mut unavailable_retried = false;
    loop {
        let e = match call().await {
            Ok(v) => return Ok(v),
            Err(e) => e,
        };
        let failure = classify(&e);
        let again = match failure {
            Failure::RateLimited => true,
            Failure::Unavailable => !std::mem::replace(&mut unavailable_retried, true),
            Failure::TimedOut | Failure::Other => false,
        };
        if !again || Instant::now() + pause > deadline {
            if failure == Failure::TimedOut {
                warn!("{what}: Discord did not answer in time");
            }
            return Err(e);
        }
        warn!("{what}: {e}; retrying in {} ms", pause.as_millis());
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_secs(2));
    }
}
