//! A path to a human: "Ask a human" (`escalate`, a button on answers where a support role is
//! configured; the transport also runs it itself for a declined or unsure answer in a help channel
//! or forum post) hands the question to people, and `/resolve` hands it back. While a place (a
//! thread, a post, a channel: the caller's conversation) is handed over, the transport does not
//! auto-answer there. Both are kept in the database, so replicas and restarts agree, and the
//! question is marked escalated (then resolved) in `/gaps` and `/stats`.

use super::{Caller, Command, CommandSpec, Context, OptSpec, Options, Reply, UsageError, Via};
use crate::conversation::Memory;

/// Answer ids are positive and within 53 bits (see `analytics::new_id`).
const MAX_ID: u64 = (1 << 53) - 1;

pub static ESCALATE: CommandSpec = CommandSpec {
    name: "escalate",
    help: "Ask a human: the support team is pinged and the bot stays quiet here until they reply",
    options: &[OptSpec::count("answer", "The answer's id", 1, MAX_ID)],
    admin: false,
    slow: false,
    examples: &[],
    via: Via::Component,
    chart: false,
    parse: |o| Ok(Command::Escalate(Escalate { answer: o.count("answer").map(|a| a as i64) })),
};

pub static RESOLVE: CommandSpec = CommandSpec {
    name: "resolve",
    help: "Hand a question back to the bot: it answers here again (support role or admins)",
    options: &[],
    admin: false,
    slow: false,
    examples: &[],
    via: Via::Typed,
    chart: false,
    parse: parse_resolve,
};

fn parse_resolve(_: &Options) -> Result<Command, UsageError> {
    Ok(Command::Resolve(Resolve))
}

#[derive(Debug, Clone, PartialEq)]
pub struct Escalate {
    /// The answer the question got, when it was recorded.
    pub answer: Option<i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Resolve;

/// The state key of a place handed to people: its value is `open:ANSWER` (0 when the answer was not
/// recorded) while people have it, `off` after.
fn place_key(place: &str) -> String {
    format!("handed-over:{place}")
}

/// The state key that marks an answer escalated (`open`, then `resolved`); `/gaps` and `/stats` read
/// it (see `analytics::db`).
pub fn answer_key(answer: i64) -> String {
    format!("{}{answer}", crate::analytics::ESCALATED_PREFIX)
}

/// Whether `place` is handed to people now.
pub fn is_handed_over(memory: &Memory, place: &str) -> bool {
    memory.get(&place_key(place)).is_some_and(|(v, _)| v.starts_with("open:"))
}

/// Hands `place` back to the bot; false if it was not handed over.
pub fn hand_back(memory: &Memory, place: &str) -> bool {
    let Some((value, _)) = memory.get(&place_key(place)) else { return false };
    let Some(answer) = value.strip_prefix("open:") else { return false };
    memory.put(&place_key(place), "off".into());
    if let Ok(id) = answer.parse::<i64>()
        && id > 0
    {
        memory.put(&answer_key(id), "resolved".into());
    }
    true
}

impl Escalate {
    pub fn run(self, ctx: Context, caller: &Caller) -> Reply {
        let (Some(memory), Some(place)) = (ctx.memory(), caller.conversation.as_deref()) else {
            return Reply::error("there is nobody to hand this question to here");
        };
        if is_handed_over(memory, place) {
            return Reply::HandedOver { answer: self.answer, already: true };
        }
        memory.put(&place_key(place), format!("open:{}", self.answer.unwrap_or(0)));
        if let Some(id) = self.answer {
            memory.put(&answer_key(id), "open".into());
        }
        crate::metrics::METRICS.escalations.inc();
        Reply::HandedOver { answer: self.answer, already: false }
    }
}

impl Resolve {
    pub fn run(self, ctx: Context, caller: &Caller) -> Reply {
        if !(caller.admin || caller.support) {
            return Reply::Refused { message: "/resolve is for the support team and server admins.".into() };
        }
        let (Some(memory), Some(place)) = (ctx.memory(), caller.conversation.as_deref()) else {
            return Reply::Resolved { was_handed_over: false };
        };
        Reply::Resolved { was_handed_over: hand_back(memory, place) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_place_is_handed_over_once_and_back_by_staff_only() {
        let memory = Memory::new(None);
        let store_less = crate::cost::PriceTable::empty();
        let ctx = Context::prices_only(&store_less).with_memory(&memory);
        let asker = Caller { conversation: Some("t".into()), admin: false, ..Caller::local() };
        let first = Escalate { answer: Some(42) }.run(ctx, &asker);
        assert!(matches!(first, Reply::HandedOver { answer: Some(42), already: false }), "{first:?}");
        assert!(is_handed_over(&memory, "t"));
        assert!(matches!(Escalate { answer: Some(42) }.run(ctx, &asker), Reply::HandedOver { already: true, .. }));
        assert_eq!(memory.get(&answer_key(42)).unwrap().0, "open");
        assert!(matches!(Resolve.run(ctx, &asker), Reply::Refused { .. }));
        let staff = Caller { support: true, ..asker.clone() };
        assert!(matches!(Resolve.run(ctx, &staff), Reply::Resolved { was_handed_over: true }));
        assert!(!is_handed_over(&memory, "t"));
        assert_eq!(memory.get(&answer_key(42)).unwrap().0, "resolved");
        assert!(matches!(Resolve.run(ctx, &staff), Reply::Resolved { was_handed_over: false }));
        // Without a place (the command line) there is nobody to hand a question to.
        let nowhere = Caller { conversation: None, ..asker };
        assert!(Escalate { answer: None }.run(ctx, &nowhere).is_error());
    }
}
