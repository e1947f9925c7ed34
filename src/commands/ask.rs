//! `/ask QUESTION`: the bot's main job.

use super::{Command, CommandSpec, Context, OptKind, OptSpec, Options, Reply, UsageError, Via};

pub static SPEC: CommandSpec = CommandSpec {
    name: "ask",
    help: "Ask a question about the products the bot covers",
    options: &[
        OptSpec::new("question", "Your question, in your own words", OptKind::Text).required().positional(),
        OptSpec::new("private", "Answer only to you, with a button to post it to the channel", OptKind::Bool)
            .discord_only(),
    ],
    admin: false,
    slow: false,
    examples: &[],
    via: Via::Typed,
    chart: false,
    parse,
};

#[derive(Debug, Clone, PartialEq)]
pub struct Ask {
    pub question: String,
    /// On Discord: answer ephemerally, with a "Post to channel" button.
    pub private: bool,
}

fn parse(o: &Options) -> Result<Command, UsageError> {
    Ok(Command::Ask(Ask { question: o.text("question").unwrap_or_default().to_owned(), private: o.flag("private") }))
}

impl Ask {
    pub fn run(self, ctx: Context) -> Reply {
        match ctx.store() {
            Ok(store) => Reply::Answer(Box::new(store.snapshot().answer(&self.question))),
            Err(reply) => reply,
        }
    }
}
