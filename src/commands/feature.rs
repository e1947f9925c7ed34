//! `/feature NAME`: one row of the feature table, with its supporting passage.

use super::{Command, CommandSpec, Completion, Context, OptKind, OptSpec, Options, Reply, UsageError, Via};
use crate::corpus::diag::did_you_mean;

pub static SPEC: CommandSpec = CommandSpec {
    name: "feature",
    help: "Show one feature across the products, with the supporting passage",
    options: &[OptSpec::new("name", "Feature name (see /features)", OptKind::Text)
        .required()
        .positional()
        .complete(Completion::Feature)],
    admin: false,
    slow: false,
    examples: &[],
    via: Via::Typed,
    chart: false,
    parse,
};

#[derive(Debug, Clone, PartialEq)]
pub struct Feature {
    pub name: String,
}

fn parse(o: &Options) -> Result<Command, UsageError> {
    Ok(Command::Feature(Feature { name: o.text("name").unwrap_or_default().to_owned() }))
}

impl Feature {
    pub fn run(self, ctx: Context) -> Reply {
        let engine = match ctx.store() {
            Ok(store) => store.snapshot(),
            Err(reply) => return reply,
        };
        match engine.find_feature(&self.name) {
            Some(f) => match engine.feature_answer(&f.id) {
                Some(answer) => Reply::Answer(Box::new(answer)),
                None => Reply::error(format!("feature `{}` has no row in the table", f.id)),
            },
            None => {
                let table = engine.features();
                let names = table.features.iter().flat_map(|f| [f.id.as_str(), f.name.as_str()]);
                let hint = did_you_mean(&self.name, names).map(|n| format!(" Did you mean {n}?")).unwrap_or_default();
                Reply::error(format!("I don't know a feature called {:?}.{hint} See /features for all.", self.name))
            }
        }
    }
}
