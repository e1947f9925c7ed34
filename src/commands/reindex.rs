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

/// How long a re-index waits for other replicas' reports (each rebuilds its own index first).
const ANNOUNCE_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

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
            Ok(mut r) => {
                if let Some(replicas) = ctx.replicas() {
                    match replicas.announce(ANNOUNCE_WAIT) {
                        Ok(reports) => r.replicas = reports,
                        Err(e) => {
                            tracing::warn!("could not announce the re-index to other replicas: {e}");
                            r.replicas_unreached = Some(e.to_string());
                        }
                    }
                }
                Reply::Reindex(Box::new(r))
            }
            Err(e) => Reply::error(format!("re-index failed, still serving the previous index:\n{e}")),
        }
    }
}
