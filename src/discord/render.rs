//! Turns a command [`Reply`] into Discord messages: embeds with verdict colours, cited sources and the
//! corpus revision, trimmed or split so that no Discord limit is ever exceeded. Every builder made here
//! carries empty `allowed_mentions`, because replies can echo user text and must never ping anyone.

use serenity::all::{
    ButtonStyle, CreateActionRow, CreateAllowedMentions, CreateAttachment, CreateAutocompleteResponse, CreateButton,
    CreateEmbed, CreateEmbedFooter, CreateInputText, CreateInteractionResponse, CreateInteractionResponseFollowup,
    CreateInteractionResponseMessage, CreateMessage, CreateModal, EditInteractionResponse, InputTextStyle,
};

use crate::answer::{Answer, Confidence, Verdict};
use crate::commands::component::custom_id;
use crate::commands::{self, Reply};
use crate::corpus::Availability;
use crate::cost::CostReport;
use crate::key::InstallKey;
use crate::render::text as plain;

/// Discord's limits, in Unicode code points (what Discord and serenity count).
pub mod limits {
    pub const CONTENT: usize = 2000;
    pub const TITLE: usize = 256;
    pub const DESCRIPTION: usize = 4096;
    pub const FIELD_NAME: usize = 256;
    pub const FIELD_VALUE: usize = 1024;
    pub const FIELDS: usize = 25;
    pub const FOOTER: usize = 2048;
    /// Title, description, field names and values and footers of all embeds of one message.
    pub const TOTAL: usize = 6000;
    pub const EMBEDS: usize = 10;
    pub const CHOICES: usize = 25;
    pub const CHOICE: usize = 100;
}

const GREEN: u32 = 0x2E_CC_71;
const RED: u32 = 0xE7_4C_3C;
const AMBER: u32 = 0xF1_C4_0F;
const GREY: u32 = 0x95_A5_A6;
const BLURPLE: u32 = 0x58_65_F2;

const ELLIPSIS: char = '…';
/// Discord rejects empty field names and values; a zero-width space renders as nothing.
const BLANK: &str = "\u{200b}";

/// One embed, as plain data so that fitting it to the limits is testable without serenity.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Embed {
    pub title: Option<String>,
    pub description: Option<String>,
    pub colour: Option<u32>,
    pub fields: Vec<Field>,
    pub footer: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub name: String,
    pub value: String,
    pub inline: bool,
}

impl Field {
    fn new(name: impl Into<String>, value: impl Into<String>, inline: bool) -> Self {
        Field { name: name.into(), value: value.into(), inline }
    }
}

impl Embed {
    fn is_empty(&self) -> bool {
        self.title.is_none() && self.description.is_none() && self.fields.is_empty()
    }

    /// The characters Discord counts towards the 6,000 per message.
    pub fn total_chars(&self) -> usize {
        let n = |s: &Option<String>| s.as_deref().map_or(0, chars);
        n(&self.title)
            + n(&self.description)
            + n(&self.footer)
            + self.fields.iter().map(|f| chars(&f.name) + chars(&f.value)).sum::<usize>()
    }
}

/// A button under a reply: a command of the table's components, by custom id.
#[derive(Debug, Clone, PartialEq)]
pub struct Button {
    pub custom_id: String,
    pub emoji: Option<char>,
    pub label: Option<&'static str>,
}

/// A message ready to send: within every limit by construction.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    content: Option<String>,
    embeds: Vec<Embed>,
    ephemeral: bool,
    buttons: Vec<Button>,
    /// A PNG shown in the first embed: (file name, bytes).
    image: Option<(String, Vec<u8>)>,
    /// The one role this message may ping (a hand-over notice); otherwise it mentions nobody.
    role: Option<u64>,
}

/// Who a reply goes to, for the buttons it carries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Audience {
    /// The person who asked (🗑 is theirs); 0 when unknown.
    pub asker: u64,
    /// Answered privately: a "Post to channel" button instead of 🗑.
    pub private: bool,
    /// A support role is configured where the answer goes: an "Ask a human" button.
    pub support: bool,
}

impl Rendered {
    fn new(content: Option<String>, embeds: Vec<Embed>, ephemeral: bool) -> Self {
        let content = content.map(|c| trim(&c, limits::CONTENT)).filter(|c| !c.is_empty());
        let mut embeds = fit(embeds);
        if content.is_none() && embeds.is_empty() {
            // An empty message is rejected; say something rather than fail.
            embeds.push(Embed { description: Some("(nothing to show)".into()), ..Embed::default() });
        }
        Rendered { content, embeds, ephemeral, buttons: Vec::new(), image: None, role: None }
    }

    pub fn image(&self) -> Option<&(String, Vec<u8>)> {
        self.image.as_ref()
    }

    /// The same message, public, with the buttons of a public answer (used by "Post to channel").
    pub fn shared(mut self, to: Audience, record: Option<i64>, key: &InstallKey) -> Self {
        self.ephemeral = false;
        self.buttons = answer_buttons(record, Audience { private: false, ..to }, key);
        self
    }

    fn components(&self) -> Vec<CreateActionRow> {
        if self.buttons.is_empty() {
            return Vec::new();
        }
        let buttons = self
            .buttons
            .iter()
            .map(|b| {
                let mut c = CreateButton::new(&b.custom_id).style(ButtonStyle::Secondary);
                if let Some(e) = b.emoji {
                    c = c.emoji(e);
                }
                if let Some(l) = b.label {
                    c = c.label(l);
                }
                c
            })
            .collect();
        vec![CreateActionRow::Buttons(buttons)]
    }

    fn attachment(&self) -> Option<CreateAttachment> {
        self.image.as_ref().map(|(name, bytes)| CreateAttachment::bytes(bytes.clone(), name.clone()))
    }

    /// The same message, allowed to ping `role` (and nobody else).
    pub fn pinging(mut self, role: u64) -> Self {
        self.role = Some(role);
        self
    }

    fn allowed(&self) -> CreateAllowedMentions {
        self.role.map_or_else(no_mentions, role_only)
    }

    /// Plain text only, e.g. a notice.
    pub fn text(text: &str, ephemeral: bool) -> Self {
        Rendered::new(Some(text.to_owned()), Vec::new(), ephemeral)
    }

    pub fn content(&self) -> Option<&str> {
        self.content.as_deref()
    }

    pub fn embeds(&self) -> &[Embed] {
        &self.embeds
    }

    pub fn is_ephemeral(&self) -> bool {
        self.ephemeral
    }

    fn create_embeds(&self) -> Vec<CreateEmbed> {
        let mut embeds: Vec<CreateEmbed> = self.embeds.iter().map(create_embed).collect();
        if let (Some((name, _)), Some(first)) = (&self.image, embeds.first_mut()) {
            *first = first.clone().image(format!("attachment://{name}"));
        }
        embeds
    }

    /// The reply to a slash command (interaction callback type 4).
    pub fn response(&self) -> CreateInteractionResponse {
        let mut m = CreateInteractionResponseMessage::new()
            .allowed_mentions(self.allowed())
            .ephemeral(self.ephemeral)
            .embeds(self.create_embeds())
            .components(self.components());
        if let Some(c) = &self.content {
            m = m.content(c);
        }
        if let Some(a) = self.attachment() {
            m = m.add_file(a);
        }
        CreateInteractionResponse::Message(m)
    }

    /// A public reply made of embeds copied from another message (a private answer being shared),
    /// with this reply's buttons.
    pub fn response_with_embeds(&self, embeds: Vec<CreateEmbed>) -> CreateInteractionResponse {
        CreateInteractionResponse::Message(
            CreateInteractionResponseMessage::new()
                .allowed_mentions(self.allowed())
                .ephemeral(false)
                .embeds(embeds)
                .components(self.components()),
        )
    }

    /// Fills in a deferred response.
    pub fn edit(&self) -> EditInteractionResponse {
        let mut m = EditInteractionResponse::new()
            .allowed_mentions(self.allowed())
            .embeds(self.create_embeds())
            .components(self.components());
        if let Some(c) = &self.content {
            m = m.content(c);
        }
        if let Some(a) = self.attachment() {
            m = m.new_attachment(a);
        }
        m
    }

    /// A follow-up message, for when editing the deferred response failed.
    pub fn followup(&self) -> CreateInteractionResponseFollowup {
        let mut m = CreateInteractionResponseFollowup::new()
            .allowed_mentions(self.allowed())
            .ephemeral(self.ephemeral)
            .embeds(self.create_embeds())
            .components(self.components());
        if let Some(c) = &self.content {
            m = m.content(c);
        }
        if let Some(a) = self.attachment() {
            m = m.add_file(a);
        }
        m
    }

    /// A channel message (the answer to a mention or DM); the caller adds the message reference.
    pub fn message(&self) -> CreateMessage {
        let mut m = CreateMessage::new()
            .allowed_mentions(self.allowed())
            .embeds(self.create_embeds())
            .components(self.components());
        if let Some(c) = &self.content {
            m = m.content(c);
        }
        if let Some(a) = self.attachment() {
            m = m.add_file(a);
        }
        m
    }
}

/// 👍 and 👎 for a recorded answer, then 🗑 for the asker (public) or "Post to channel" (private);
/// their custom ids tagged with the install's key.
fn answer_buttons(record: Option<i64>, to: Audience, key: &InstallKey) -> Vec<Button> {
    let mut b = Vec::new();
    if let Some(id) = record {
        let id = id.to_string();
        b.push(Button { custom_id: custom_id(key, "vote", &[&id, "1"]), emoji: Some('👍'), label: None });
        b.push(Button { custom_id: custom_id(key, "vote", &[&id, "0"]), emoji: Some('👎'), label: None });
    }
    if to.private {
        b.push(Button { custom_id: custom_id(key, "share", &[]), emoji: None, label: Some("Post to channel") });
    } else {
        let asker = to.asker.to_string();
        b.push(Button { custom_id: custom_id(key, "remove", &[&asker]), emoji: Some('🗑'), label: None });
    }
    if to.support {
        let id = record.map(|r| r.to_string()).unwrap_or_default();
        b.push(Button { custom_id: custom_id(key, "escalate", &[&id]), emoji: None, label: Some("Ask a human") });
    }
    b
}

/// The form a 👎 opens: what the person was looking for (optional).
pub fn why_modal(answer: i64, key: &InstallKey) -> CreateInteractionResponse {
    let field = CreateInputText::new(InputTextStyle::Paragraph, "What were you looking for?", "comment")
        .required(false)
        .max_length(1000)
        .placeholder("Optional: what the answer missed");
    CreateInteractionResponse::Modal(
        CreateModal::new(custom_id(key, "vote", &[&answer.to_string(), "0"]), "Sorry it didn't help")
            .components(vec![CreateActionRow::InputText(field)]),
    )
}

/// Why a question is handed to people.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HandOver {
    /// The bot could not answer it with confidence.
    Unsure,
    /// Someone pressed "Ask a human".
    Asked,
}

/// The text of the notice that hands a question to people: it pings the support role (the message
/// allows that mention and no other: [`role_only`]). `elsewhere` is the question's place
/// `(guild, channel)` when the notice goes to a support channel instead, with a link to it.
pub fn support_notice_text(role: u64, why: HandOver, elsewhere: Option<(u64, u64)>) -> String {
    let what = match why {
        HandOver::Unsure => "I could not answer a question with confidence",
        HandOver::Asked => "Someone asked for a human",
    };
    match elsewhere {
        Some((guild, channel)) => format!(
            "<@&{role}> {what} in <#{channel}>: could someone take a look? \
             https://discord.com/channels/{guild}/{channel} (I'll stay quiet there until one of you replies or runs /resolve.)"
        ),
        None => format!(
            "<@&{role}> {what} here: could someone take a look? \
             I'll stay quiet here until one of you replies or runs /resolve."
        ),
    }
}

/// The notice as a message of its own.
pub fn support_notice(role: u64, why: HandOver, elsewhere: Option<(u64, u64)>) -> serenity::all::CreateMessage {
    serenity::all::CreateMessage::new()
        .content(support_notice_text(role, why, elsewhere))
        .allowed_mentions(role_only(role))
}

/// Mentions the role and nobody else.
pub fn role_only(role: u64) -> CreateAllowedMentions {
    CreateAllowedMentions::new().roles(vec![serenity::all::RoleId::new(role)])
}

/// Mentions nobody: not @everyone/@here, no role, no user, not even the replied-to author.
pub fn no_mentions() -> CreateAllowedMentions {
    CreateAllowedMentions::new()
}

/// The "thinking…" acknowledgement of a slow command; only the caller sees it and its result.
pub fn deferred() -> CreateInteractionResponse {
    deferred_as(true)
}

/// A "thinking…" acknowledgement whose eventual reply is ephemeral or not.
pub fn deferred_as(ephemeral: bool) -> CreateInteractionResponse {
    CreateInteractionResponse::Defer(
        CreateInteractionResponseMessage::new().ephemeral(ephemeral).allowed_mentions(no_mentions()),
    )
}

/// Autocomplete suggestions as (shown name, value) pairs; at most 25, each within 100 chars.
pub fn autocomplete(choices: impl IntoIterator<Item = (String, String)>) -> CreateInteractionResponse {
    let mut r = CreateAutocompleteResponse::new();
    for (name, value) in choices.into_iter().take(limits::CHOICES) {
        let value = cut(&value, limits::CHOICE);
        if value.is_empty() {
            continue;
        }
        let name = trim(&name, limits::CHOICE);
        r = r.add_string_choice(if name.is_empty() { value.clone() } else { name }, value);
    }
    CreateInteractionResponse::Autocomplete(r)
}

pub fn slow_down(wait_secs: u64, ephemeral: bool) -> Rendered {
    Rendered::text(&plain::slow_down(wait_secs), ephemeral)
}

pub fn restarting() -> Rendered {
    Rendered::text("The bot is restarting; try again in a moment.", true)
}

/// A command that could not be understood: only its sender needs to see why.
pub fn usage(error: &commands::UsageError) -> Rendered {
    reply(&Reply::Error { message: error.to_string() })
}

/// What a mention with no question gets; `about` says what the bot answers from.
pub fn short_help(about: &str) -> Rendered {
    let names: Vec<String> = commands::typed().map(|c| format!("/{}", c.name)).collect();
    let text = format!(
        "I answer from {}. Mention me with a question, or use a slash command: {}.",
        escape(about),
        names.join(", ")
    );
    Rendered::new(None, vec![Embed { description: Some(text), colour: Some(BLURPLE), ..Embed::default() }], false)
}

/// The message for a reply, with the buttons an answer carries for `to`.
pub fn reply_to(r: &Reply, to: Audience, key: &InstallKey) -> Rendered {
    let mut rendered = reply(r);
    if let Reply::Answer(a) = r {
        rendered.ephemeral = to.private;
        rendered.buttons = answer_buttons(a.record, to, key);
    }
    rendered
}

/// The message for a reply. Refusals and errors are ephemeral: they concern only the caller.
pub fn reply(reply: &Reply) -> Rendered {
    match reply {
        Reply::Answer(a) => Rendered::new(None, vec![answer(a)], false),
        Reply::Gaps(g) => {
            let marks =
                crate::render::cost::Marks { strong: &|s| format!("**{s}**"), escape: &escape, user: &user_text };
            // Whole groups while they fit in one message, then how many more there are.
            const TITLE: &str = "Coverage gaps";
            let text = crate::render::usage::gaps_within(g, &marks, limits::TOTAL - TITLE.len() - 16);
            Rendered::new(None, text_embeds(Some(TITLE), &text, AMBER), true)
        }
        Reply::Stats(s) => {
            let marks =
                crate::render::cost::Marks { strong: &|s| format!("**{s}**"), escape: &escape, user: &user_text };
            let mut r =
                Rendered::new(None, text_embeds(Some("Usage"), &crate::render::usage::stats(s, &marks), BLURPLE), true);
            r.image = chart(crate::charts::stats(s), "stats.png");
            r
        }
        Reply::Voted { .. } | Reply::Remove | Reply::Share => {
            Rendered::text(&plain::reply(reply, crate::render::Style::PLAIN), true)
        }
        // Said where everyone in the thread sees it (the gateway pings the role itself).
        Reply::HandedOver { already, .. } => {
            Rendered::text(&plain::reply(reply, crate::render::Style::PLAIN), *already)
        }
        Reply::Resolved { was_handed_over } => {
            Rendered::text(&plain::reply(reply, crate::render::Style::PLAIN), !was_handed_over)
        }
        // Only the asker needs to see it (ephemeral where Discord allows).
        Reply::SlowDown { wait_secs } => slow_down(*wait_secs, true),
        Reply::Features(table) => {
            let blocks = code_blocks(&plain::features(table), limits::DESCRIPTION);
            let mut embeds: Vec<Embed> = blocks
                .into_iter()
                .map(|b| Embed { description: Some(b), colour: Some(BLURPLE), ..Embed::default() })
                .collect();
            if let Some(first) = embeds.first_mut() {
                let products: Vec<&str> = table.products.iter().map(|p| p.short.as_str()).collect();
                first.title = Some(format!("Features: {}", escape(&products.join(" vs "))));
            }
            Rendered::new(None, embeds, false)
        }
        Reply::Cost(r) => {
            let marks =
                crate::render::cost::Marks { strong: &|s| format!("**{s}**"), escape: &escape, user: &user_text };
            let mut rendered = Rendered::new(
                None,
                text_embeds(Some("Cost estimate"), &crate::render::cost::lines(r, &marks), BLURPLE),
                false,
            );
            if let CostReport::Conversation(c) = r.as_ref() {
                rendered.image = chart(crate::charts::conversation_cost(c), "cost.png");
            }
            rendered
        }
        Reply::Reindex(r) => {
            Rendered::new(None, text_embeds(Some("Re-indexed"), &escape(&plain::reindex(r)), GREEN), true)
        }
        Reply::Help { text } => Rendered::new(None, text_embeds(Some("Help"), &escape(text), BLURPLE), false),
        Reply::Refused { message } => Rendered::new(None, text_embeds(None, &escape(message), RED), true),
        Reply::Error { message } => Rendered::new(None, text_embeds(None, &escape(message), GREY), true),
    }
}

/// A chart as an attachment; a chart that could not be drawn is logged and left out.
fn chart(png: Result<Vec<u8>, crate::charts::ChartError>, name: &str) -> Option<(String, Vec<u8>)> {
    match png {
        Ok(png) => Some((name.to_owned(), png)),
        Err(e) => {
            tracing::warn!("{e}");
            None
        }
    }
}

/// An answer as an embed: the verdict as title and colour, one field per product, the cited
/// passages (the question's words in bold), caveats and the corpus revision. Every piece of text
/// from the question or the corpus is escaped, so it cannot add links, formatting or mentions.
fn answer(a: &Answer) -> Embed {
    let mut e = answer_only(a);
    if let Some(q) = &a.read_as {
        let read = format!("*Reading this as: {}*", escape(q));
        e.description = Some(match e.description.take() {
            Some(d) => format!("{read}\n{d}"),
            None => read,
        });
    }
    e
}

/// The field with a `/cost` suggestion, after the estimate's sentence when `with_sentence`.
fn cost_field(s: &crate::answer::Suggestion, with_sentence: bool) -> Field {
    let sentence = s.sentence().filter(|_| with_sentence).map(|t| escape(&t) + "\n").unwrap_or_default();
    Field::new("For an estimate, try", sentence + &escape(&s.command(crate::answer::Syntax::Slash)), false)
}

fn answer_only(a: &Answer) -> Embed {
    let mut e = Embed { footer: Some(format!("corpus {}", a.revision)), ..Embed::default() };
    if let Some((_, message)) = &a.declined {
        e.description = Some(format!("{} Try /features or /help.", escape(message)));
        e.colour = Some(GREY);
        // A price the articles don't give may still be in the price table.
        if let Some(s) = &a.suggestion {
            e.fields.push(cost_field(s, true));
        }
        return e;
    }
    let low = a.confidence == Confidence::Low;
    match a.verdicts.first() {
        Some(v) if !low => {
            e.title = Some(v.headline.clone());
            e.colour = Some(verdict_colour(v));
            e.description = Some(escape(&v.note)).filter(|n| !n.trim().is_empty());
            for p in &v.availability {
                e.fields.push(Field::new(&p.short, availability(p.value), true));
            }
            for other in &a.verdicts[1..] {
                let values: Vec<String> =
                    other.availability.iter().map(|p| format!("{}: {}", p.short, p.value)).collect();
                e.fields.push(Field::new(&other.headline, escape(&values.join(" · ")), false));
            }
        }
        _ if low => {
            e.title = Some("Not sure: these are the closest passages".into());
            e.colour = Some(GREY);
        }
        _ => {
            e.title = a.sources.first().map(|s| s.heading.clone());
            e.colour = Some(BLURPLE);
        }
    }
    if let Some(lead) = &a.lead {
        e.description = Some(format!("\u{201c}{}\u{201d} [{}]", escape(&lead.sentence), lead.source + 1));
    }
    // A price question without a verdict opens with the figure (the field below keeps the command).
    if let Some(sentence) = a.suggestion.as_ref().and_then(|s| s.sentence()).filter(|_| a.verdicts.is_empty()) {
        let rest = e.description.take().map(|d| format!("\n{d}")).unwrap_or_default();
        e.description = Some(escape(&sentence) + &rest);
    }
    if let Some(list) = &a.listing {
        for g in &list.groups {
            let names: Vec<String> = g.features.iter().map(|f| escape(&f.name)).collect();
            e.fields.push(Field::new(
                format!("{} ({})", crate::engine::list_heading(g), names.len()),
                names.join(", "),
                false,
            ));
        }
    }
    for (i, s) in a.sources.iter().enumerate() {
        let name = match &s.title {
            Some(t) => format!("{} ({t})", s.heading),
            None => s.heading.clone(),
        };
        // Numbered when the opening quote cites one of them.
        let name = if a.lead.is_some() { format!("[{}] {name}", i + 1) } else { name };
        e.fields.push(Field::new(name, s.snippet.marked("**", "**", escape), false));
    }
    if !a.caveats.is_empty() {
        let text: String = a.caveats.iter().map(|c| format!("• {}\n", escape(&c.text()))).collect();
        for (i, part) in split_text(&text, limits::FIELD_VALUE).into_iter().enumerate() {
            e.fields.push(Field::new(if i == 0 { "Caveats" } else { "Caveats (continued)" }, part, false));
        }
    }
    if let Some(s) = &a.suggestion {
        // Said in the description already when the answer has no verdict.
        e.fields.push(cost_field(s, !a.verdicts.is_empty()));
    }
    if a.verdicts.is_empty() && a.sources.is_empty() {
        e.description = Some("Nothing in the corpus matched.".into());
    }
    e
}

/// Green for yes, red for no, amber for partly, grey when the corpus doesn't say; of the product
/// asked about, or across all of them when the question named none.
fn verdict_colour(v: &Verdict) -> u32 {
    use Availability::*;
    let of = |a: Availability| match a {
        Yes => GREEN,
        No => RED,
        Partial => AMBER,
        Unknown | NotCovered => GREY,
    };
    if let Some(a) = v.asked_value() {
        return of(a);
    }
    // Products no article covers say nothing either way.
    let values: Vec<Availability> = v.availability.iter().map(|p| p.value).filter(|a| *a != NotCovered).collect();
    if values.contains(&Unknown) || values.is_empty() {
        GREY
    } else if values.iter().all(|a| *a == Yes) {
        GREEN
    } else if values.iter().all(|a| *a == No) {
        RED
    } else {
        AMBER
    }
}

fn availability(a: Availability) -> &'static str {
    match a {
        Availability::Yes => "✅ Yes",
        Availability::No => "❌ No",
        Availability::Partial => "🟡 Partly",
        Availability::Unknown => "❔ Not stated",
        Availability::NotCovered => "➖ Not covered",
    }
}

/// Text from a question or the corpus, with Discord markdown escaped: shown as typed, never as
/// emphasis, code, spoilers, quotes, headings, lists, masked links or mention chips. Control
/// characters become spaces.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    let mut line_start = true;
    for c in s.chars() {
        match c {
            '\\' | '*' | '_' | '~' | '`' | '|' | '>' | '#' | '[' | ']' | '<' => {
                out.push('\\');
                out.push(c);
            }
            // A list item ("- ", "+ ") only where a line starts.
            '-' | '+' if line_start => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() && c != '\n' => out.push(' '),
            c => out.push(c),
        }
        line_start = c == '\n' || (line_start && c == ' ');
    }
    out
}

/// Text a user typed, shown to admins (`/gaps`): invisible characters dropped, markdown escaped,
/// and each link in inline code, where Discord does not make it clickable.
pub fn user_text(s: &str) -> String {
    let s = crate::render::visible(s);
    let mut out = String::with_capacity(s.len() + 8);
    for piece in s.split_inclusive(char::is_whitespace) {
        let word = piece.trim_end();
        if crate::render::is_link(word) {
            out.push('`');
            out.extend(word.chars().filter(|c| *c != '`' && !c.is_control()));
            out.push('`');
            out.push_str(&piece[word.len()..]);
        } else {
            out.push_str(&escape(piece));
        }
    }
    out
}

/// Long text as a series of embeds, the first with the title.
fn text_embeds(title: Option<&str>, text: &str, colour: u32) -> Vec<Embed> {
    let mut embeds: Vec<Embed> = split_text(text, limits::DESCRIPTION)
        .into_iter()
        .map(|d| Embed { description: Some(d), colour: Some(colour), ..Embed::default() })
        .collect();
    match embeds.first_mut() {
        Some(first) => first.title = title.map(str::to_owned),
        None => embeds.push(Embed { title: title.map(str::to_owned), colour: Some(colour), ..Embed::default() }),
    }
    embeds
}

fn create_embed(e: &Embed) -> CreateEmbed {
    let mut c = CreateEmbed::new();
    if let Some(t) = &e.title {
        c = c.title(t);
    }
    if let Some(d) = &e.description {
        c = c.description(d);
    }
    if let Some(colour) = e.colour {
        c = c.colour(colour);
    }
    for f in &e.fields {
        c = c.field(&f.name, &f.value, f.inline);
    }
    if let Some(f) = &e.footer {
        c = c.footer(CreateEmbedFooter::new(f));
    }
    c
}

fn chars(s: &str) -> usize {
    s.chars().count()
}

/// The first `max` characters; never splits a character.
fn cut(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

/// `s` if it fits in `max` characters, else its start and an ellipsis, `max` characters in all.
pub fn trim(s: &str, max: usize) -> String {
    if chars(s) <= max {
        return s.to_owned();
    }
    if max == 0 {
        return String::new();
    }
    let mut out = cut(s, max - 1);
    out.push(ELLIPSIS);
    out
}

/// Splits text into pieces of at most `max` characters, at line ends where it can, else at spaces,
/// else anywhere between characters.
fn split_text(text: &str, max: usize) -> Vec<String> {
    let text = text.trim_end();
    let mut out = Vec::new();
    let mut rest: &str = text;
    while chars(rest) > max {
        // Byte index just past the `max`-th character.
        let limit = rest.char_indices().nth(max).map_or(rest.len(), |(i, _)| i);
        let head = &rest[..limit];
        let at = head.rfind('\n').filter(|&i| i > 0).or_else(|| head.rfind(' ').filter(|&i| i > 0)).unwrap_or(limit);
        out.push(rest[..at].trim_end().to_owned());
        rest = rest[at..].trim_start_matches(['\n', ' ']);
    }
    if !rest.is_empty() || out.is_empty() {
        out.push(rest.to_owned());
    }
    out.retain(|s| !s.is_empty());
    out
}

/// Monospaced text in ``` blocks of at most `max` characters each, split between lines.
fn code_blocks(text: &str, max: usize) -> Vec<String> {
    const FENCES: usize = 8; // "```\n" + "\n```"
    let inner = max.saturating_sub(FENCES).max(1);
    let mut blocks = Vec::new();
    let mut cur = String::new();
    for line in text.lines() {
        let line = trim(&line.replace("```", "``\u{200b}`"), inner);
        if !cur.is_empty() && chars(&cur) + 1 + chars(&line) > inner {
            blocks.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push('\n');
        }
        cur.push_str(&line);
    }
    if !cur.is_empty() {
        blocks.push(cur);
    }
    blocks.into_iter().map(|b| format!("```\n{b}\n```")).collect()
}

/// Brings embeds within every per-embed and per-message limit: trims each part, moves fields past 25
/// into continuation embeds, keeps at most 10 embeds, then shares the 6,000-character budget out
/// in order of importance (titles and footers, then descriptions, then fields in order).
pub fn fit(embeds: Vec<Embed>) -> Vec<Embed> {
    let mut out: Vec<Embed> = Vec::new();
    for mut e in embeds {
        e.title = e.title.map(|t| trim(&t, limits::TITLE)).filter(|t| !t.is_empty());
        e.description = e.description.map(|d| trim(&d, limits::DESCRIPTION)).filter(|d| !d.trim().is_empty());
        e.footer = e.footer.map(|f| trim(&f, limits::FOOTER)).filter(|f| !f.is_empty());
        for f in &mut e.fields {
            f.name = non_blank(trim(&f.name, limits::FIELD_NAME));
            f.value = non_blank(trim(&f.value, limits::FIELD_VALUE));
        }
        let mut fields = std::mem::take(&mut e.fields);
        let colour = e.colour;
        let rest = if fields.len() > limits::FIELDS { fields.split_off(limits::FIELDS) } else { Vec::new() };
        e.fields = fields;
        out.push(e);
        for chunk in rest.chunks(limits::FIELDS) {
            out.push(Embed { colour, fields: chunk.to_vec(), ..Embed::default() });
        }
    }
    out.truncate(limits::EMBEDS);

    let mut left = limits::TOTAL;
    for e in &mut out {
        e.title = e.title.take().and_then(|t| spend(&t, &mut left));
        e.footer = e.footer.take().and_then(|f| spend(&f, &mut left));
    }
    for e in &mut out {
        e.description = e.description.take().and_then(|d| spend(&d, &mut left));
    }
    for e in &mut out {
        let fields = std::mem::take(&mut e.fields);
        for mut f in fields {
            let name = chars(&f.name);
            // A field is worth keeping only with a few characters of its value.
            if left < name + 2 {
                left = 0;
                break;
            }
            left -= name;
            match spend(&f.value, &mut left) {
                Some(v) => {
                    f.value = v;
                    e.fields.push(f);
                }
                None => break,
            }
        }
    }
    out.retain(|e| !e.is_empty());
    out
}

fn non_blank(s: String) -> String {
    if s.trim().is_empty() { BLANK.to_owned() } else { s }
}

/// Takes what fits of `s` from the budget; `None` if nothing does.
fn spend(s: &str, left: &mut usize) -> Option<String> {
    let t = trim(s, *left);
    *left -= chars(&t);
    Some(t).filter(|t| !t.is_empty())
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::answer::{Caveat, Declined, Kind, ProductValue, Snippet, Source, Suggestion};

    fn answer_with(question: &str, verdict: Option<Verdict>, sources: usize, caveats: Vec<String>) -> Answer {
        Answer {
            question: question.into(),
            kind: if verdict.is_some() { Kind::Feature } else { Kind::Search },
            asked_as: Default::default(),
            confidence: Confidence::High,
            listing: None,
            verdicts: verdict.into_iter().collect(),
            sources: (0..sources)
                .map(|i| Source {
                    doc: "doc".into(),
                    title: None,
                    section: "Features Only in ChatGPT".into(),
                    heading: format!("Features Only in ChatGPT › Memory {i} {question}"),
                    score: 1.0,
                    snippet: Snippet {
                        text: format!("Memory — {question}"),
                        highlights: std::iter::once(0..6).collect(),
                    },
                })
                .collect(),
            lead: None,
            caveats: caveats.into_iter().map(Caveat::Table).collect(),
            suggestion: None,
            declined: None,
            evidence: Default::default(),
            revision: "abc123".into(),
            record: None,
            read_as: None,
        }
    }

    const API: usize = 1;
    const CHATGPT: usize = 0;

    fn memory(asked: Option<usize>, chatgpt: Availability, api: Availability) -> Verdict {
        let p = |id: &str, name: &str, short: &str, value| ProductValue {
            id: id.into(),
            name: name.into(),
            short: short.into(),
            value,
        };
        let availability = vec![p("chatgpt", "ChatGPT", "ChatGPT", chatgpt), p("api", "the API", "API", api)];
        Verdict {
            feature: "memory".into(),
            name: "Memory".into(),
            asked: asked.map(|i| availability[i].id.clone()),
            availability,
            note: "ChatGPT remembers; the API does not.".into(),
            headline: "No. The API does not offer memory.".into(),
        }
    }

    /// Every limit Discord enforces, on the JSON serenity would send.
    fn assert_within_limits(v: &Value) {
        let data = if v.get("data").is_some() { &v["data"] } else { v };
        if let Some(c) = data["content"].as_str() {
            assert!(c.chars().count() <= 2000, "content {}", c.chars().count());
        }
        let embeds = data["embeds"].as_array().cloned().unwrap_or_default();
        assert!(embeds.len() <= 10, "{} embeds", embeds.len());
        let mut total = 0;
        let n = |v: &Value| v.as_str().map_or(0, |s| s.chars().count());
        for e in &embeds {
            assert!(n(&e["title"]) <= 256);
            assert!(n(&e["description"]) <= 4096);
            assert!(n(&e["footer"]["text"]) <= 2048);
            let fields = e["fields"].as_array().cloned().unwrap_or_default();
            assert!(fields.len() <= 25);
            for f in &fields {
                assert!((1..=256).contains(&n(&f["name"])), "{f}");
                assert!((1..=1024).contains(&n(&f["value"])), "{f}");
                total += n(&f["name"]) + n(&f["value"]);
            }
            total += n(&e["title"]) + n(&e["description"]) + n(&e["footer"]["text"]);
        }
        assert!(total <= 6000, "total {total}");
        assert_eq!(data["allowed_mentions"]["parse"], json!([]), "{data}");
    }

    fn all_builders(r: &Rendered) -> Vec<Value> {
        vec![
            serde_json::to_value(r.response()).unwrap(),
            serde_json::to_value(r.edit()).unwrap(),
            serde_json::to_value(r.followup()).unwrap(),
            serde_json::to_value(r.message()).unwrap(),
        ]
    }

    #[test]
    fn verdict_embed_has_headline_colour_fields_sources_and_footer() {
        let a = answer_with(
            "does the API have memory?",
            Some(memory(Some(API), Availability::Yes, Availability::No)),
            1,
            vec!["Memory can be turned off.".into()],
        );
        let r = reply(&Reply::Answer(Box::new(a)));
        assert!(!r.is_ephemeral());
        let v = serde_json::to_value(r.response()).unwrap();
        assert_eq!(v["type"], 4);
        let e = &v["data"]["embeds"][0];
        assert_eq!(e["title"], "No. The API does not offer memory.");
        assert_eq!(e["color"], RED);
        assert_eq!(e["description"], "ChatGPT remembers; the API does not.");
        assert_eq!(e["fields"][0], json!({"name": "ChatGPT", "value": "✅ Yes", "inline": true}));
        assert_eq!(e["fields"][1], json!({"name": "API", "value": "❌ No", "inline": true}));
        assert!(e["fields"][2]["name"].as_str().unwrap().starts_with("Features Only in ChatGPT"));
        assert_eq!(e["fields"][2]["value"], "**Memory** — does the API have memory?");
        assert_eq!(e["fields"][3]["name"], "Caveats");
        assert_eq!(e["footer"]["text"], "corpus abc123");
        assert_eq!(v["data"]["allowed_mentions"]["parse"], json!([]));
        assert!(v["data"].get("flags").is_none_or(|f| f == 0), "{v}");
    }

    #[test]
    fn colours_follow_the_asked_product_or_the_pair() {
        use Availability::*;
        let c = |asked, chatgpt, api| verdict_colour(&memory(asked, chatgpt, api));
        assert_eq!(c(Some(CHATGPT), Yes, No), GREEN);
        assert_eq!(c(Some(API), Yes, No), RED);
        assert_eq!(c(Some(API), Yes, Partial), AMBER);
        assert_eq!(c(Some(API), Yes, Unknown), GREY);
        assert_eq!(c(None, Yes, Yes), GREEN);
        assert_eq!(c(None, No, No), RED);
        assert_eq!(c(None, Yes, No), AMBER);
        assert_eq!(c(None, Yes, Unknown), GREY);
    }

    #[test]
    fn errors_and_refusals_are_ephemeral() {
        for r in [Reply::Refused { message: "no".into() }, Reply::Error { message: "bad".into() }] {
            let v = serde_json::to_value(reply(&r).response()).unwrap();
            assert_eq!(v["data"]["flags"], 64, "{v}");
        }
        let v = serde_json::to_value(slow_down(7, true).response()).unwrap();
        assert_eq!(
            (v["data"]["flags"].clone(), v["data"]["content"].clone()),
            (json!(64), json!("Slow down: you can ask again in 7 s."))
        );
        let v = serde_json::to_value(deferred()).unwrap();
        assert_eq!((v["type"].clone(), v["data"]["flags"].clone()), (json!(5), json!(64)));
        assert_eq!(v["data"]["allowed_mentions"]["parse"], json!([]));
    }

    #[test]
    fn hostile_six_thousand_char_question_stays_within_limits() {
        let unit = "@everyone @here <@123> <@&456> 🎉👩‍👩‍👧 ";
        let question: String = unit.repeat(6000 / unit.chars().count() + 1).chars().take(6000).collect();
        let caveats = vec![question.clone(), question.clone()];
        let mut a = answer_with(&question, Some(memory(Some(API), Availability::Yes, Availability::No)), 30, caveats);
        a.verdicts[0].note = question.clone();
        a.verdicts[0].headline = question.clone();
        a.suggestion = Some(Suggestion::Cost { model: question.clone(), conversation: false, estimate: None });
        let r = reply(&Reply::Answer(Box::new(a)));
        for v in all_builders(&r) {
            assert_within_limits(&v);
        }
        // Out of scope and plain text carry the question too.
        let mut oos = answer_with(&question, None, 0, vec![]);
        oos.kind = Kind::OutOfScope;
        oos.declined = Some((Declined::NotCovered, question.clone()));
        for r in [
            reply(&Reply::Answer(Box::new(oos))),
            reply(&Reply::Error { message: question.repeat(3) }),
            Rendered::text(&question, false),
        ] {
            for v in all_builders(&r) {
                assert_within_limits(&v);
            }
        }
    }

    #[test]
    fn a_declined_price_keeps_its_cost_suggestion() {
        let mut oos = answer_with("how much is gpt-4o-mini per million tokens?", None, 0, vec![]);
        oos.kind = Kind::OutOfScope;
        oos.declined = Some((Declined::NotCovered, "That's outside what I cover.".into()));
        oos.suggestion = Some(Suggestion::Cost { model: "gpt-4o-mini".into(), conversation: false, estimate: None });
        let r = reply(&Reply::Answer(Box::new(oos)));
        let e = &r.embeds()[0];
        assert!(e.description.as_deref().is_some_and(|d| d.starts_with("That's outside what I cover.")), "{e:?}");
        let field = e.fields.iter().find(|f| f.name == "For an estimate, try").expect("a cost field");
        assert!(field.value.contains("/cost model:gpt-4o-mini"), "{field:?}");
    }

    #[test]
    fn long_text_splits_into_embeds_and_the_budget_holds() {
        let long = "line of a long report\n".repeat(2000);
        let r = reply(&Reply::Help { text: long });
        assert!(r.embeds().len() > 1);
        assert_eq!(r.embeds()[0].title.as_deref(), Some("Help"));
        assert!(r.embeds().iter().map(Embed::total_chars).sum::<usize>() <= 6000);
        for v in all_builders(&r) {
            assert_within_limits(&v);
        }
    }

    #[test]
    fn more_than_25_fields_continue_in_another_embed() {
        let fields = (0..40).map(|i| Field::new(format!("f{i}"), "v", false)).collect();
        let out = fit(vec![Embed { title: Some("t".into()), fields, ..Embed::default() }]);
        assert_eq!(out.len(), 2);
        assert_eq!((out[0].fields.len(), out[1].fields.len()), (25, 15));
        assert_eq!(out[1].fields[0].name, "f25");
    }

    #[test]
    fn trimming_respects_characters() {
        assert_eq!(trim("héllo", 10), "héllo");
        assert_eq!(trim("héllo", 3), "hé…");
        let emoji = "🎉".repeat(10);
        assert_eq!(trim(&emoji, 4), "🎉🎉🎉…");
        assert_eq!(trim("abc", 0), "");
        assert_eq!(split_text("aaa bbb\nccc", 5), vec!["aaa", "bbb", "ccc"]);
        assert_eq!(split_text("🎉🎉🎉🎉🎉🎉", 4), vec!["🎉🎉🎉🎉", "🎉🎉"]);
    }

    #[test]
    fn empty_parts_become_blank_or_disappear() {
        let out = fit(vec![Embed { fields: vec![Field::new("", "", false)], ..Embed::default() }, Embed::default()]);
        assert_eq!(out.len(), 1);
        assert_eq!((out[0].fields[0].name.as_str(), out[0].fields[0].value.as_str()), (BLANK, BLANK));
        let r = Rendered::new(None, vec![], false);
        assert_eq!(r.embeds().len(), 1);
    }

    #[test]
    fn features_table_is_a_code_block() {
        let table = crate::corpus::FeatureTable {
            products: vec![crate::corpus::Product {
                id: "a".into(),
                name: "A".into(),
                short: "A".into(),
                words: vec![],
                vendor: String::new(),
                plural: false,
                plans: vec![],
            }],
            features: vec![crate::corpus::Feature {
                id: "memory".into(),
                name: "Memory".into(),
                aliases: vec![],
                availability: vec![Availability::Yes],
                note: String::new(),
                doc: "d".into(),
                section: "s".into(),
                heading: None,
                caveats: vec![],
                examples: vec![],
                headline: Default::default(),
                evidence: vec![],
            }],
            others: vec![],
            topics: vec![],
            synonyms: vec![],
            vendors: vec![],
        };
        let r = reply(&Reply::Features(Box::new(table)));
        let d = r.embeds()[0].description.as_deref().unwrap();
        assert!(d.starts_with("```\n") && d.ends_with("\n```") && d.contains("Memory"), "{d}");
        let blocks = code_blocks(&vec!["x".repeat(30); 500].join("\n"), 4096);
        assert!(blocks.len() > 1 && blocks.iter().all(|b| b.chars().count() <= 4096));
    }

    #[test]
    fn user_text_cannot_format_link_or_mention() {
        let q = "does the api have memory a1[x](https://ev.il)z **bold** @everyone <@1>";
        let a = answer_with(q, None, 1, vec![format!("Read \"{q}\".")]);
        let e = answer(&a);
        let caveats = &e.fields.iter().find(|f| f.name == "Caveats").unwrap().value;
        assert!(caveats.contains("a1\\[x\\](https://ev.il)z \\*\\*bold\\*\\* @everyone \\<@1\\>"), "{caveats}");
        let snippet = &e.fields[0].value;
        assert!(snippet.starts_with("**Memory**") && snippet.contains("\\[x\\]"), "{snippet}");
    }

    #[test]
    fn autocomplete_caps_choices() {
        let v =
            serde_json::to_value(autocomplete((0..40).map(|i| (format!("n{i} {}", "x".repeat(200)), format!("v{i}")))))
                .unwrap();
        assert_eq!(v["type"], 8);
        let choices = v["data"]["choices"].as_array().unwrap();
        assert_eq!(choices.len(), 25);
        assert!(choices.iter().all(|c| c["name"].as_str().unwrap().chars().count() <= 100));
    }
}
