//! `/reindex` (admins): rebuild the index from the corpus without downtime.

use super::{Command, CommandSpec, Context, Options, Reply, UsageError, Via};

pub static SPEC: CommandSpec = CommandSpec {
    name: "reindex",
    help: "Rebuild the search index from the corpus without downtime (admins only)",
    options: &[],
    admin: true,
    slow: true,
    examples: &[],
    via: Via::Typed,
    chart: false,
    parse,
};

#[derive(Debug, Clone, PartialEq)]
pub struct Reindex;

fn parse(_: &Options) -> Result<Command, UsageError> {
    Ok(Command::Reindex(Reindex))
}

impl Reindex {
    pub fn run(self, ctx: Context) -> Reply {
        let store = match ctx.store() {
            Ok(store) => store,
            Err(reply) => return reply,
        };
        match store.reindex() {
            Ok(r) => Reply::Reindex(Box::new(r)),
            Err(e) => Reply::error(format!("re-index failed, still serving the previous index:\n{e}")),
        }
    }
}
