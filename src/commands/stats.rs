//! `/stats [days]` (admins): answers per day by kind, top features, the helpful ratio, latency and
//! the database's health, with a chart.

use super::{Command, CommandSpec, Context, OptSpec, Options, Reply, UsageError, Via};

pub const DEFAULT_DAYS: u64 = 14;

pub static SPEC: CommandSpec = CommandSpec {
    name: "stats",
    help: "Usage: answers per day, top features, helpful ratio, latency, database health (admins only)",
    options: &[OptSpec::count("days", "How many days back to look (default 14)", 1, 3650)],
    admin: true,
    slow: true,
    examples: &["/stats days:30"],
    via: Via::Typed,
    chart: true,
    parse,
};

#[derive(Debug, Clone, PartialEq)]
pub struct StatsCmd {
    pub days: u32,
}

fn parse(o: &Options) -> Result<Command, UsageError> {
    Ok(Command::Stats(StatsCmd { days: o.count("days").unwrap_or(DEFAULT_DAYS) as u32 }))
}

impl StatsCmd {
    /// The caller's server's usage on Discord; every server's from the command line.
    pub fn run(self, ctx: Context, guild: Option<u64>) -> Reply {
        let Some(analytics) = ctx.analytics() else {
            return Reply::error("analytics are off ([analytics] enabled = false in bot.toml)");
        };
        match analytics.stats(self.days, guild) {
            Ok(s) => Reply::Stats(Box::new(s)),
            Err(e) => Reply::error(e.to_string()),
        }
    }
}
