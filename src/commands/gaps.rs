//! `/gaps [days]` (admins): what the bot could not answer well, grouped by similar wording, so admins
//! know what to add to the corpus.

use serde::Serialize;

use super::{Command, CommandSpec, Context, OptSpec, Options, Reply, UsageError, Via};
use crate::analytics::{GapGroup, gaps};

pub const DEFAULT_DAYS: u64 = 30;
/// Groups shown; the report says how many more there are.
const SHOWN: usize = 15;
/// Questions grouped per call at most (the latest): the work a call does stays bounded however
/// busy the server was (a month of a busy server is ~100,000), within Discord's 15 minutes and far
/// less.
pub const MAX_QUESTIONS: usize = 50_000;

pub static SPEC: CommandSpec = CommandSpec {
    name: "gaps",
    help: "Coverage gaps: questions declined, answered unsure or voted down, grouped (admins only)",
    options: &[OptSpec::count("days", "How many days back to look (default 30)", 1, 3650)],
    admin: true,
    slow: true,
    examples: &["/gaps days:7"],
    via: Via::Typed,
    chart: false,
    parse,
};

#[derive(Debug, Clone, PartialEq)]
pub struct Gaps {
    pub days: u32,
}

fn parse(o: &Options) -> Result<Command, UsageError> {
    Ok(Command::Gaps(Gaps { days: o.count("days").unwrap_or(DEFAULT_DAYS) as u32 }))
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct GapsReport {
    pub days: u32,
    /// Questions counted (declined, unsure or voted down).
    pub questions: usize,
    /// How many of them (the latest) were grouped: all of them, up to [`MAX_QUESTIONS`].
    pub grouped: usize,
    pub groups: Vec<GapGroup>,
    /// Groups left out of `groups` (the smallest).
    pub more: usize,
}

impl Gaps {
    /// The caller's server's gaps on Discord (another server's questions are not its admins'
    /// business); every server's from the command line.
    pub fn run(self, ctx: Context, guild: Option<u64>) -> Reply {
        let Some(analytics) = ctx.analytics() else {
            return Reply::error("analytics are off ([analytics] enabled = false in bot.toml)");
        };
        let store = match ctx.store() {
            Ok(store) => store,
            Err(reply) => return reply,
        };
        let (questions, total) = match analytics.gap_questions(self.days, MAX_QUESTIONS, guild) {
            Ok(q) => q,
            Err(e) => return Reply::error(e.to_string()),
        };
        let engine = store.snapshot();
        let mut groups = gaps::group(&questions, |q| engine.gap_terms(q));
        let more = groups.len().saturating_sub(SHOWN);
        groups.truncate(SHOWN);
        // Declined questions cited nothing: the section closest to the group's example, by words
        // or by meaning, is what an admin would extend.
        for g in groups.iter_mut().filter(|g| g.nearest_section.is_none()) {
            g.nearest_section = g.example.as_deref().and_then(|e| engine.nearest_section(e));
        }
        Reply::Gaps(Box::new(GapsReport {
            days: self.days,
            questions: total.max(questions.len()),
            grouped: questions.len(),
            groups,
            more,
        }))
    }
}
