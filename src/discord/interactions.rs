//! Interactions (slash commands, autocomplete, buttons, forms) for both ways Discord delivers them:
//! the gateway (`handler`) and the HTTP endpoint (`crate::http`). [`plan`] decides the response and
//! the work left after it; the gateway posts the response and awaits [`finish`], the HTTP endpoint
//! returns the response as the request's body and spawns [`finish`]. Either way the command goes
//! through the one dispatcher and the same renderers.

use serenity::all::{
    ActionRowComponent, ButtonKind, ChannelId, CommandInteraction, ComponentInteraction, CreateEmbed,
    CreateInteractionResponse, Interaction, Message, MessageId, ModalInteraction,
};
use tracing::warn;

use super::handler::{
    Shared, Whence, caller, conversation_in, invocation, notify_support, place, rendered, without_mentions,
};
use super::render::{self, Audience, Rendered};
use super::retry::{MESSAGE_BUDGET, retry};
use super::webhook::Webhooks;
use crate::commands::{self, Caller, Command, Completion, Reply};

/// The response to an interaction and what is left to do once it is sent.
pub struct Plan {
    pub response: CreateInteractionResponse,
    pub after: After,
    /// The interaction's token, for editing its response afterwards.
    pub token: String,
}

pub enum After {
    Nothing,
    /// Run a slow command, then fill in the deferred response.
    Run {
        command: Command,
        caller: Caller,
        to: Audience,
    },
    /// Fill in the deferred response with a reply made already (one that carries a file, which an
    /// HTTP response body cannot).
    Edit(Rendered),
    /// Delete the message a 🗑 was pressed on.
    Delete {
        channel: ChannelId,
        message: MessageId,
    },
    /// Post the hand-over notice for the question in `at` in the server's support channel (with
    /// the bot's token; without one, or if that fails, as a follow-up where the button was pressed).
    Notify {
        guild: u64,
        at: ChannelId,
        role: u64,
    },
}

impl Plan {
    fn now(response: CreateInteractionResponse, token: &str) -> Plan {
        Plan { response, after: After::Nothing, token: token.to_owned() }
    }

    /// A rendered reply: sent at once, or, when it carries a file, deferred and edited in.
    fn rendered(rendered: Rendered, token: &str) -> Plan {
        if rendered.image().is_some() {
            let response = render::deferred_as(rendered.is_ephemeral());
            return Plan { response, after: After::Edit(rendered), token: token.to_owned() };
        }
        Plan::now(rendered.response(), token)
    }
}

/// What to answer to `interaction`; `None` for kinds the bot does not handle (PING is the HTTP
/// endpoint's own business).
pub async fn plan(s: &Shared, interaction: &Interaction) -> Option<Plan> {
    match interaction {
        Interaction::Command(c) => Some(command(s, c).await),
        Interaction::Autocomplete(c) => Some(autocomplete(s, c)),
        Interaction::Component(c) => Some(component(s, c).await),
        Interaction::Modal(m) => Some(modal(s, m).await),
        _ => None,
    }
}

/// The work after the response: runs a slow command and edits the deferred response (a follow-up
/// if the edit fails), or deletes a message.
pub async fn finish(s: &Shared, hooks: Webhooks<'_>, token: &str, after: After) -> serenity::Result<()> {
    let rendered = match after {
        After::Nothing => return Ok(()),
        After::Delete { channel, message } => {
            // With the bot's token (the gateway's, or given to an HTTP-only replica) the message is
            // deleted as the bot's own; without one, or if that fails, through the interaction's
            // webhook, whose "original" message is the one the button is on.
            if let Webhooks::Bot(http) = hooks {
                let by_bot = retry("remove an answer", MESSAGE_BUDGET, || channel.delete_message(http, message)).await;
                match by_bot {
                    Ok(()) => return Ok(()),
                    Err(e) => warn!("could not delete an answer as the bot ({e}); trying the interaction's webhook"),
                }
            }
            return retry("remove an answer", MESSAGE_BUDGET, || hooks.delete_original(token)).await;
        }
        After::Notify { guild, at, role } => {
            let why = render::HandOver::Asked;
            if let Webhooks::Bot(http) = hooks
                && notify_support(http, s.settings(Some(guild)), role, why, guild, at).await
            {
                return Ok(());
            }
            Rendered::text(&render::support_notice_text(role, why, Some((guild, at.get()))), false).pinging(role)
        }
        After::Edit(rendered) => rendered,
        After::Run { command, caller, to } => {
            rendered(s.service.handle_async(command, caller).await, to, s.key().clone()).await
        }
    };
    if let Err(e) = retry("edit a deferred response", MESSAGE_BUDGET, || hooks.edit_original(token, &rendered)).await {
        warn!("could not edit a deferred response, sending a follow-up: {e}");
        retry("send a follow-up", MESSAGE_BUDGET, || hooks.followup(token, &rendered)).await?;
    }
    Ok(())
}

/// Where an interaction came from (the channel's parent: a thread's channel, for per-channel
/// articles).
fn whence(
    guild: Option<serenity::all::GuildId>,
    channel: ChannelId,
    partial: Option<&serenity::all::PartialChannel>,
    id: u64,
) -> Whence {
    Whence {
        guild: guild.map(|g| g.get()),
        channel: channel.get(),
        parent: partial.and_then(|p| p.parent_id).map(|p| p.get()),
        interaction: id,
    }
}

async fn command(s: &Shared, c: &CommandInteraction) -> Plan {
    let guild = c.guild_id.map(|g| g.get());
    let mut caller =
        caller(s, &c.user, c.member.as_deref(), whence(c.guild_id, c.channel_id, c.channel.as_ref(), c.id.get()));
    let command = match Command::from_invocation(&invocation(&c.data)) {
        Ok(command) => without_mentions(command),
        Err(e) => return Plan::now(render::usage(&e).response(), &c.token),
    };
    // `/ask` in a DM or in a thread of the bot's continues the conversation there; `/resolve`
    // hands back the channel it is run in.
    match command {
        Command::Ask(_) => caller.conversation = conversation_in(s, guild, c.channel_id.get()).await,
        Command::Resolve(_) => caller.conversation = Some(place(c.channel_id.get())),
        _ => {}
    }
    let spec = command.spec();
    let to = Audience {
        asker: c.user.id.get(),
        private: matches!(&command, Command::Ask(a) if a.private) || c.guild_id.is_none(),
        support: s.settings(guild).support_role.is_some() && guild.is_some(),
    };
    // A refused admin command is answered at once: dispatch refuses it (and logs the attempt)
    // without doing any work.
    if spec.slow && (!spec.admin || caller.admin) {
        return Plan {
            response: render::deferred(),
            after: After::Run { command, caller, to },
            token: c.token.clone(),
        };
    }
    Plan::rendered(rendered(s.service.handle_async(command, caller).await, to, s.key().clone()).await, &c.token)
}

/// A button press: its custom id is a component command of the table.
async fn component(s: &Shared, c: &ComponentInteraction) -> Plan {
    let command = match commands::component::invocation(s.key(), &c.data.custom_id, &[])
        .and_then(|i| Command::from_invocation(&i))
    {
        Ok(command) => command,
        Err(e) => return Plan::now(render::usage(&e).response(), &c.token),
    };
    let guild = c.guild_id.map(|g| g.get());
    let mut caller =
        caller(s, &c.user, c.member.as_ref(), whence(c.guild_id, c.channel_id, c.channel.as_ref(), c.id.get()));
    if matches!(command, Command::Escalate(_)) {
        caller.conversation = Some(place(c.channel_id.get()));
    }
    let settings = s.settings(guild);
    match s.service.handle_async(command, caller).await {
        // "Ask a human": the notice pings the support role only, where the button was pressed or in
        // the support channel.
        Reply::HandedOver { already: false, .. } if settings.support_role.is_some() => {
            let role = settings.support_role.unwrap_or_default();
            let why = render::HandOver::Asked;
            match settings.support_channel {
                Some(support) => {
                    let said = format!("I've asked the support team in <#{support}>; they'll reply here.");
                    Plan {
                        response: Rendered::text(&said, true).response(),
                        after: After::Notify { guild: guild.unwrap_or_default(), at: c.channel_id, role },
                        token: c.token.clone(),
                    }
                }
                None => {
                    let notice = render::support_notice_text(role, why, None);
                    Plan::now(Rendered::text(&notice, false).pinging(role).response(), &c.token)
                }
            }
        }
        // A vote down asks what was missing; the vote already counts if the form is dismissed.
        Reply::Voted { answer, ask_why: true, .. } => Plan::now(render::why_modal(answer, s.key()), &c.token),
        Reply::Remove => Plan {
            response: CreateInteractionResponse::Acknowledge,
            after: After::Delete { channel: c.channel_id, message: c.message.id },
            token: c.token.clone(),
        },
        Reply::Share => {
            let embeds: Vec<CreateEmbed> = c.message.embeds.iter().cloned().map(CreateEmbed::from).collect();
            let to = Audience { asker: c.user.id.get(), private: false, support: settings.support_role.is_some() };
            let shared = Rendered::text("", false).shared(to, record_of(&c.message), s.key());
            Plan::now(shared.response_with_embeds(embeds), &c.token)
        }
        other => Plan::now(render::reply(&other).response(), &c.token),
    }
}

/// A submitted form: the 👎 form's comment, as the vote command's `comment` option. The 👎 form is
/// the only form the bot makes: any other command in a form's custom id is refused.
async fn modal(s: &Shared, m: &ModalInteraction) -> Plan {
    let fields: Vec<(String, String)> = m
        .data
        .components
        .iter()
        .flat_map(|row| row.components.iter())
        .filter_map(|c| match c {
            ActionRowComponent::InputText(t) => Some((t.custom_id.clone(), t.value.clone().unwrap_or_default())),
            _ => None,
        })
        .collect();
    let command = commands::component::invocation(s.key(), &m.data.custom_id, &fields)
        .and_then(|i| Command::from_invocation(&i))
        .and_then(|c| match c {
            Command::Vote(_) => Ok(c),
            _ => Err(commands::UsageError("this form is from another version of the bot; ask again".into())),
        });
    let rendered = match command {
        Ok(command) => {
            let caller =
                caller(s, &m.user, m.member.as_ref(), whence(m.guild_id, m.channel_id, m.channel.as_ref(), m.id.get()));
            render::reply(&s.service.handle_async(command, caller).await)
        }
        Err(e) => render::usage(&e),
    };
    Plan::now(rendered.response(), &m.token)
}

fn autocomplete(s: &Shared, c: &CommandInteraction) -> Plan {
    let choices: Vec<(String, String)> = match c.data.autocomplete() {
        Some(focused) => {
            let complete = commands::spec(&c.data.name)
                .and_then(|spec| spec.options.iter().find(|o| o.name == focused.name))
                .map_or(Completion::None, |o| o.complete);
            let origin = whence(c.guild_id, c.channel_id, c.channel.as_ref(), c.id.get()).origin();
            let Some(engine) = s.service.engine_for(&origin) else {
                return Plan::now(render::autocomplete(Vec::new()), &c.token);
            };
            match complete {
                Completion::Feature => {
                    engine.complete_feature(focused.value).into_iter().map(|f| (f.name.clone(), f.id.clone())).collect()
                }
                Completion::Model => {
                    engine.prices().complete_model(focused.value).into_iter().map(|m| (m.clone(), m)).collect()
                }
                Completion::Command => commands::typed()
                    .filter(|c| c.name.starts_with(&focused.value.trim_start_matches('/').to_lowercase()))
                    .map(|c| (format!("/{}", c.name), c.name.to_owned()))
                    .collect(),
                Completion::None => Vec::new(),
            }
        }
        None => Vec::new(),
    };
    Plan::now(render::autocomplete(choices), &c.token)
}

/// The answer id a reply's 👍 button carries, if it has one.
fn record_of(message: &Message) -> Option<i64> {
    message.components.iter().flat_map(|row| row.components.iter()).find_map(|c| match c {
        ActionRowComponent::Button(b) => match &b.data {
            ButtonKind::NonLink { custom_id, .. } => {
                custom_id.strip_prefix("vote:").and_then(|rest| rest.split(':').next()).and_then(|id| id.parse().ok())
            }
            _ => None,
        },
        _ => None,
    })
}

/// The HTTP endpoint's side of interactions (`crate::http::Interactions`): the same plan, the
/// response returned as the request's body, the work after it run with webhook calls through
/// `http` (with no `Authorization` header when there is no bot token: `tokenless`).
pub struct Endpoint {
    pub shared: std::sync::Arc<Shared>,
    pub http: std::sync::Arc<serenity::all::Http>,
    pub tokenless: Option<reqwest::Client>,
}

impl crate::http::Interactions for Endpoint {
    fn respond<'a>(
        &'a self,
        interaction: &'a Interaction,
    ) -> crate::http::BoxFuture<'a, Option<crate::http::Responded>> {
        Box::pin(async move {
            // Webhook routes (editing a deferred response) need the application id; the interaction
            // has it.
            if self.http.application_id().is_none()
                && let Some(app) = application_id(interaction)
            {
                self.http.set_application_id(app);
            }
            let plan = plan(&self.shared, interaction).await?;
            let body = serde_json::to_vec(&plan.response);
            let after: Option<crate::http::BoxFuture<'static, ()>> = match plan.after {
                After::Nothing => None,
                after => {
                    let (shared, http, tokenless) = (self.shared.clone(), self.http.clone(), self.tokenless.clone());
                    let token = plan.token;
                    Some(Box::pin(async move {
                        let hooks = match &tokenless {
                            None => Webhooks::Bot(&http),
                            Some(client) => Webhooks::Tokenless { http: &http, client },
                        };
                        if let Err(e) = finish(&shared, hooks, &token, after).await {
                            warn!("could not complete an interaction: {e}");
                        }
                    }))
                }
            };
            Some(crate::http::Responded { body, after })
        })
    }

    fn restarting(&self) -> serde_json::Result<Vec<u8>> {
        serde_json::to_vec(&render::restarting().response())
    }
}

fn application_id(i: &Interaction) -> Option<serenity::all::ApplicationId> {
    match i {
        Interaction::Command(c) | Interaction::Autocomplete(c) => Some(c.application_id),
        Interaction::Component(c) => Some(c.application_id),
        Interaction::Modal(m) => Some(m.application_id),
        _ => None,
    }
}
