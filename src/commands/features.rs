//! `/features`: the whole feature table, one column per product.

use super::{Command, CommandSpec, Context, Options, Reply, UsageError, Via};

pub static SPEC: CommandSpec = CommandSpec {
    name: "features",
    help: "The whole feature table, one column per product",
    options: &[],
    admin: false,
    slow: false,
    examples: &[],
    via: Via::Typed,
    chart: false,
    parse,
};

#[derive(Debug, Clone, PartialEq)]
pub struct Features;

fn parse(_: &Options) -> Result<Command, UsageError> {
    Ok(Command::Features(Features))
}

impl Features {
    pub fn run(self, ctx: Context) -> Reply {
        match ctx.store() {
            Ok(store) => Reply::Features(Box::new(store.snapshot().features().clone())),
            Err(reply) => reply,
        }
    }
}
