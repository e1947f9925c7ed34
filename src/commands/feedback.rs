//! The buttons and the form on Discord replies, as commands: 👍/👎 (`vote`, with the optional "what
//! were you looking for?" comment from the form), 🗑 (`remove`, for the asker and admins) and "Post to
//! channel" (`share`, on private answers). Their options travel in the component's custom id
//! (see [`super::component`]).

use super::{Caller, Command, CommandSpec, Context, OptKind, OptSpec, Options, Reply, UsageError, Via};

/// Answer ids are positive and within 53 bits (see `analytics::new_id`).
const MAX_ID: u64 = (1 << 53) - 1;

pub static VOTE: CommandSpec = CommandSpec {
    name: "vote",
    help: "Rate an answer",
    options: &[
        OptSpec::count("answer", "The answer's id", 1, MAX_ID).required(),
        OptSpec::new("helpful", "Whether it helped", OptKind::Bool).required(),
        OptSpec::new("comment", "What you were looking for", OptKind::Text),
    ],
    admin: false,
    slow: false,
    examples: &[],
    via: Via::Component,
    chart: false,
    parse: parse_vote,
};

pub static REMOVE: CommandSpec = CommandSpec {
    name: "remove",
    help: "Remove an answer (the person who asked, or an admin)",
    options: &[OptSpec::count("asker", "Who asked", 0, u64::MAX).required()],
    admin: false,
    slow: false,
    examples: &[],
    via: Via::Component,
    chart: false,
    parse: parse_remove,
};

pub static SHARE: CommandSpec = CommandSpec {
    name: "share",
    help: "Post a private answer to the channel",
    options: &[],
    admin: false,
    slow: false,
    examples: &[],
    via: Via::Component,
    chart: false,
    parse: |_| Ok(Command::Share(Share)),
};

#[derive(Debug, Clone, PartialEq)]
pub struct Vote {
    pub answer: i64,
    pub helpful: bool,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Remove {
    pub asker: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Share;

fn parse_vote(o: &Options) -> Result<Command, UsageError> {
    Ok(Command::Vote(Vote {
        answer: o.count("answer").unwrap_or(0) as i64,
        helpful: o.flag("helpful"),
        comment: o.text("comment").map(str::to_owned),
    }))
}

fn parse_remove(o: &Options) -> Result<Command, UsageError> {
    Ok(Command::Remove(Remove { asker: o.count("asker").unwrap_or(0) }))
}

impl Vote {
    pub fn run(self, ctx: Context, caller: &Caller) -> Reply {
        let commented = self.comment.as_deref().is_some_and(|c| !c.trim().is_empty());
        let stores_text = ctx.analytics().is_some_and(|a| a.stores_text());
        let recorded = ctx.analytics().is_some_and(|a| a.vote(self.answer, &caller.id, self.helpful, self.comment));
        let ask_why = recorded && !self.helpful && !commented && stores_text;
        Reply::Voted { answer: self.answer, helpful: self.helpful, commented, recorded, ask_why }
    }
}

impl Remove {
    pub fn run(self, caller: &Caller) -> Reply {
        if caller.admin || caller.id == self.asker.to_string() {
            Reply::Remove
        } else {
            Reply::Refused { message: "Only the person who asked, or an admin, can remove this answer.".into() }
        }
    }
}
