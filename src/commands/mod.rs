//! The command table and the one dispatcher every transport calls.
//!
//! Each command is a file holding its spec (name, options, help, admin-only), its parse from checked
//! options and its run (as mini-redis's `cmd/` does). [`COMMANDS`] lists the specs; the shell's
//! `/help`, the CLI (`cli`) and Discord's slash-command registration are all generated from it.
//! A transport turns its input into an [`Invocation`], then a [`Command`], calls [`dispatch`] and
//! renders the [`Reply`].

pub mod ask;
pub mod cli;
pub mod component;
pub mod cost;
pub mod feature;
pub mod features;
pub mod feedback;
pub mod gaps;
pub mod handover;
pub mod help;
pub mod line;
pub mod options;
pub mod reindex;
pub mod stats;

use std::sync::Arc;
use std::time::Instant;

use tracing::warn;

pub use self::line::parse_line;
pub use self::options::{Completion, OptKind, OptSpec, OptValue, Options};
use crate::analytics::{Analytics, Origin, Stats};
use crate::answer::Answer;
use crate::corpus::FeatureTable;
use crate::cost::{CostReport, PriceTable};
use crate::store::{ReindexReport, Store};

/// One command's spec: the single source of its help, options and permissions.
#[derive(Debug)]
pub struct CommandSpec {
    pub name: &'static str,
    pub help: &'static str,
    pub options: &'static [OptSpec],
    /// Only for server admins (Discord) or the local operator.
    pub admin: bool,
    /// May take longer than Discord's 3-second window: transports acknowledge first.
    pub slow: bool,
    /// Extra lines for `/help NAME`.
    pub examples: &'static [&'static str],
    /// How people invoke it: typed (shell, command line, slash command) or by pressing a button /
    /// submitting a form on Discord.
    pub via: Via,
    /// Its reply can carry a chart (`--png FILE` on the command line, an attachment on Discord).
    pub chart: bool,
    /// Builds the command from checked options.
    pub parse: fn(&Options) -> Result<Command, UsageError>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// Typed: help, the command line and slash registration list it.
    Typed,
    /// A button or a form on a reply ([`component`] encodes its options in the custom id).
    Component,
}

/// Every command of the bot, in help order; the components after the typed ones.
pub static COMMANDS: &[&CommandSpec] = &[
    &ask::SPEC,
    &feature::SPEC,
    &features::SPEC,
    &cost::SPEC,
    &reindex::SPEC,
    &gaps::SPEC,
    &stats::SPEC,
    &handover::RESOLVE,
    &help::SPEC,
    &feedback::VOTE,
    &feedback::REMOVE,
    &feedback::SHARE,
    &handover::ESCALATE,
];

/// The commands people type: what help, the command line and slash registration list.
pub fn typed() -> impl Iterator<Item = &'static CommandSpec> {
    COMMANDS.iter().copied().filter(|c| c.via == Via::Typed)
}

pub fn spec(name: &str) -> Option<&'static CommandSpec> {
    COMMANDS.iter().copied().find(|c| c.name == name)
}

/// A command as typed or sent: a name and named option values, not yet checked.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Invocation {
    pub name: String,
    pub options: Vec<(String, OptValue)>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    Ask(ask::Ask),
    Feature(feature::Feature),
    Features(features::Features),
    Cost(cost::Cost),
    Reindex(reindex::Reindex),
    Gaps(gaps::Gaps),
    Stats(stats::StatsCmd),
    Help(help::Help),
    Vote(feedback::Vote),
    Remove(feedback::Remove),
    Share(feedback::Share),
    Escalate(handover::Escalate),
    Resolve(handover::Resolve),
}

impl Command {
    /// Checks the invocation's options against the command's spec and builds the command.
    pub fn from_invocation(inv: &Invocation) -> Result<Command, UsageError> {
        let spec = spec(&inv.name).ok_or_else(|| unknown_command(&inv.name))?;
        let options = options::check(spec, &inv.options)?;
        (spec.parse)(&options)
    }

    pub fn spec(&self) -> &'static CommandSpec {
        match self {
            Command::Ask(_) => &ask::SPEC,
            Command::Feature(_) => &feature::SPEC,
            Command::Features(_) => &features::SPEC,
            Command::Cost(_) => &cost::SPEC,
            Command::Reindex(_) => &reindex::SPEC,
            Command::Gaps(_) => &gaps::SPEC,
            Command::Stats(_) => &stats::SPEC,
            Command::Help(_) => &help::SPEC,
            Command::Vote(_) => &feedback::VOTE,
            Command::Remove(_) => &feedback::REMOVE,
            Command::Share(_) => &feedback::SHARE,
            Command::Escalate(_) => &handover::ESCALATE,
            Command::Resolve(_) => &handover::RESOLVE,
        }
    }

    /// Whether this command asks the corpus something (what per-user cooldowns count).
    pub fn is_question(&self) -> bool {
        matches!(self, Command::Ask(_) | Command::Feature(_))
    }
}

/// A command that could not be understood; the message says what to type instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

pub fn unknown_command(name: &str) -> UsageError {
    let names: Vec<String> = typed().map(|c| format!("/{}", c.name)).collect();
    UsageError(format!("unknown command /{name}; commands: {}", names.join(", ")))
}

/// Who sent a command, as far as permission checks go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub id: String,
    pub name: String,
    pub admin: bool,
    /// Has the support role where they are: may hand a question back to the bot (`/resolve`).
    pub support: bool,
    /// Whether the per-user cooldown counts this caller's questions (people on a chat transport; not
    /// the local operator).
    pub limited: bool,
    /// The conversation a question belongs to (a DM, a thread, the shell session), whose previous
    /// question a follow-up is read with; `None`: every question stands alone.
    pub conversation: Option<String>,
    /// Where the command came from, for the records analytics keep.
    pub origin: Origin,
}

impl Caller {
    /// The person at the local terminal (the command line), who owns the files and so may re-index.
    /// Their answers are not recorded unless `ask --record` says so.
    pub fn local() -> Self {
        Caller {
            id: "local".into(),
            name: "local user".into(),
            admin: true,
            support: false,
            limited: false,
            conversation: None,
            origin: Origin { transport: "cli", record: false, ..Origin::default() },
        }
    }
}

/// What commands run against: the store (index, corpus and the prices of its snapshot), or only a
/// price table for callers that run only commands that need no index (`productbot cost`).
#[derive(Clone, Copy)]
pub struct Context<'a> {
    store: Option<&'a Store>,
    prices: Option<&'a PriceTable>,
    analytics: Option<&'a Analytics>,
    replicas: Option<&'a crate::replicas::Replicas>,
    memory: Option<&'a crate::conversation::Memory>,
}

impl<'a> Context<'a> {
    pub fn new(store: &'a Store) -> Self {
        Context { store: Some(store), prices: None, analytics: None, replicas: None, memory: None }
    }

    /// For commands that need no index ([`Command::needs_store`] false).
    pub fn prices_only(prices: &'a PriceTable) -> Self {
        Context { store: None, prices: Some(prices), analytics: None, replicas: None, memory: None }
    }

    /// Where answers are recorded and what `/gaps` and `/stats` read.
    pub fn with_analytics(self, analytics: &'a Analytics) -> Self {
        Context { analytics: Some(analytics), ..self }
    }

    pub fn analytics(&self) -> Option<&'a Analytics> {
        self.analytics
    }

    /// The other replicas a re-index is announced to.
    pub fn with_replicas(self, replicas: &'a crate::replicas::Replicas) -> Self {
        Context { replicas: Some(replicas), ..self }
    }

    pub fn replicas(&self) -> Option<&'a crate::replicas::Replicas> {
        self.replicas
    }

    /// Where conversations and hand-overs are kept (the service's, shared through the database).
    pub fn with_memory(self, memory: &'a crate::conversation::Memory) -> Self {
        Context { memory: Some(memory), ..self }
    }

    pub fn memory(&self) -> Option<&'a crate::conversation::Memory> {
        self.memory
    }

    /// The prices commands use: those of the store's current snapshot (the corpus's price files
    /// as last indexed, after bot.toml's override), else the table given.
    pub fn prices(&self) -> Prices<'a> {
        match (self.store, self.prices) {
            (Some(store), _) => Prices::Snapshot(store.snapshot()),
            (None, Some(p)) => Prices::Table(p),
            (None, None) => Prices::Table(&EMPTY_PRICES),
        }
    }

    /// The store; a command that needs it and was given none is a programming error in the
    /// transport, reported as an error reply rather than a panic.
    pub fn store(&self) -> Result<&'a Store, Reply> {
        self.store.ok_or_else(|| Reply::error("this command needs the index, which was not opened".to_owned()))
    }
}

static EMPTY_PRICES: std::sync::LazyLock<PriceTable> = std::sync::LazyLock::new(PriceTable::empty);

/// A price table borrowed from a context, or held through the snapshot it belongs to.
pub enum Prices<'a> {
    Snapshot(Arc<crate::engine::Engine>),
    Table(&'a PriceTable),
}

impl std::ops::Deref for Prices<'_> {
    type Target = PriceTable;
    fn deref(&self) -> &PriceTable {
        match self {
            Prices::Snapshot(e) => e.prices(),
            Prices::Table(t) => t,
        }
    }
}

/// The result of a command, for a transport to render.
#[derive(Debug, Clone)]
pub enum Reply {
    Answer(Box<Answer>),
    Features(Box<FeatureTable>),
    Cost(Box<CostReport>),
    Reindex(Box<ReindexReport>),
    Gaps(Box<gaps::GapsReport>),
    Stats(Box<Stats>),
    Help {
        text: String,
    },
    /// A vote was taken. A vote down without a comment is where Discord asks what was missing,
    /// unless free text is not kept (`store_questions = false`).
    Voted {
        answer: i64,
        helpful: bool,
        commented: bool,
        /// False when analytics are off: the vote went nowhere, and the reply says so.
        recorded: bool,
        /// Ask what was missing (a vote down with no comment yet, where free text is kept).
        ask_why: bool,
    },
    /// The transport removes the reply the button was on.
    Remove,
    /// The transport posts the private reply the button was on to the channel.
    Share,
    /// The question was handed to people (`escalate`): the transport pings its support role, unless
    /// it was `already` handed over.
    HandedOver {
        answer: Option<i64>,
        already: bool,
    },
    /// `/resolve`: the bot answers here again; false when nothing here was handed over.
    Resolved {
        was_handed_over: bool,
    },
    /// The caller asked more questions than the cooldown allows; they may ask again in `wait_secs`.
    SlowDown {
        wait_secs: u64,
    },
    /// The caller may not run this command.
    Refused {
        message: String,
    },
    /// The command could not be carried out; the message says why.
    Error {
        message: String,
    },
}

impl Reply {
    pub fn is_error(&self) -> bool {
        matches!(self, Reply::Refused { .. } | Reply::Error { .. })
    }

    pub fn error(message: impl Into<String>) -> Reply {
        Reply::Error { message: message.into() }
    }
}

impl Command {
    /// Whether the command reads the index or corpus.
    pub fn needs_store(&self) -> bool {
        matches!(
            self,
            Command::Ask(_)
                | Command::Feature(_)
                | Command::Features(_)
                | Command::Reindex(_)
                | Command::Gaps(_)
                | Command::Help(_)
        )
    }
}

/// Runs one command for `caller`. An answer to a person is recorded (when analytics are on and the
/// caller's origin records) after it is made; the record's id goes out with the reply, for
/// feedback buttons. Re-index runs on the calling thread: async transports call this from a
/// blocking task.
pub fn dispatch(ctx: Context, command: Command, caller: &Caller) -> Reply {
    let started = Instant::now();
    let question = command.is_question();
    let reindex = matches!(command, Command::Reindex(_));
    let mut reply = run(ctx, command, caller);
    let m = &crate::metrics::METRICS;
    if let Reply::Answer(a) = &reply {
        m.answers.with_label_values(&[a.kind.as_str(), a.confidence.as_str()]).inc();
        m.answer_seconds.with_label_values(&[a.kind.as_str()]).observe(started.elapsed().as_secs_f64());
    }
    if reindex {
        // A refusal (not an admin) is not a failure to re-index: the alert on failures stays quiet.
        let outcome = match &reply {
            Reply::Refused { .. } => "refused",
            r if r.is_error() => "failed",
            _ => "ok",
        };
        m.reindex.with_label_values(&[outcome]).inc();
    }
    if question
        && caller.origin.record
        && let (Some(analytics), Reply::Answer(answer)) = (ctx.analytics, &mut reply)
    {
        answer.record = analytics.record(answer, &caller.id, &caller.origin, started.elapsed());
    }
    reply
}

fn run(ctx: Context, command: Command, caller: &Caller) -> Reply {
    let spec = command.spec();
    if spec.admin && !caller.admin {
        warn!(user = %caller.id, name = %caller.name, command = spec.name, "refused an admin command");
        return Reply::Refused { message: format!("/{} is for server admins (Manage Server) only.", spec.name) };
    }
    match command {
        Command::Ask(c) => c.run(ctx),
        Command::Feature(c) => c.run(ctx),
        Command::Features(c) => c.run(ctx),
        Command::Cost(c) => c.run(ctx),
        Command::Reindex(c) => c.run(ctx),
        Command::Gaps(c) => c.run(ctx, caller.origin.guild),
        Command::Stats(c) => c.run(ctx, caller.origin.guild),
        Command::Help(c) => c.run(ctx),
        Command::Vote(c) => c.run(ctx, caller),
        Command::Remove(c) => c.run(caller),
        Command::Share(_) => Reply::Share,
        Command::Escalate(c) => c.run(ctx, caller),
        Command::Resolve(c) => c.run(ctx, caller),
    }
}
