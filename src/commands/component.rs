//! Custom ids of buttons and forms: `NAME:VALUE:VALUE...:TAG`, the values of the command's options
//! in spec order (empty for an option not given), then a tag (an HMAC keyed with the install's key,
//! `crate::key`) over the rest. A press whose tag does not check out is refused: a custom id the bot
//! did not make (a forged `remove:` naming someone else, a vote for an answer it never gave) never
//! runs. A press becomes an [`Invocation`] like any typed command and goes through the same checks.
//! Discord allows 100 characters; every id made here is far shorter (a name, a 16-digit id, a flag
//! and a 16-digit tag).

use super::{Invocation, OptKind, OptValue, UsageError, Via, spec};
use crate::key::InstallKey;

/// The custom id for command `name` with these option values (in spec order), tagged.
pub fn custom_id(key: &InstallKey, name: &str, values: &[&str]) -> String {
    let mut id = name.to_owned();
    for v in values {
        id.push(':');
        id.push_str(v);
    }
    let tag = key.tag(&id);
    id.push(':');
    id.push_str(&tag);
    id
}

/// The invocation a custom id stands for, if its tag checks out; form fields (`(field id, value)`)
/// add their options.
pub fn invocation(key: &InstallKey, custom_id: &str, fields: &[(String, String)]) -> Result<Invocation, UsageError> {
    let not_ours = || UsageError("this button is from another version of the bot; ask again".into());
    let (custom_id, tag) = custom_id.rsplit_once(':').ok_or_else(not_ours)?;
    if !key.verify_tag(custom_id, tag) {
        return Err(not_ours());
    }
    let mut parts = custom_id.split(':');
    let name = parts.next().unwrap_or_default();
    let spec = spec(name).filter(|s| s.via == Via::Component).ok_or_else(not_ours)?;
    let mut options = Vec::new();
    for (o, v) in spec.options.iter().zip(parts) {
        if v.is_empty() {
            continue;
        }
        let value = match o.kind {
            OptKind::Bool => OptValue::Bool(v == "1" || v == "true"),
            _ => OptValue::Str(v.to_owned()),
        };
        options.push((o.name.to_owned(), value));
    }
    for (field, value) in fields {
        if spec.options.iter().any(|o| o.name == field) && !options.iter().any(|(n, _)| n == field) {
            options.push((field.clone(), OptValue::Str(value.clone())));
        }
    }
    Ok(Invocation { name: name.to_owned(), options })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::{Command, feedback::Vote};

    #[test]
    fn a_vote_round_trips_through_its_custom_id() {
        let key = InstallKey::ephemeral();
        let id = custom_id(&key, "vote", &["123456789", "0"]);
        assert!(id.starts_with("vote:123456789:0:") && id.len() <= 100, "{id}");
        let c = Command::from_invocation(&invocation(&key, &id, &[("comment".into(), "webhooks".into())]).unwrap());
        assert_eq!(c, Ok(Command::Vote(Vote { answer: 123456789, helpful: false, comment: Some("webhooks".into()) })));
    }

    #[test]
    fn typed_commands_garbage_and_forgeries_are_not_buttons() {
        let key = InstallKey::ephemeral();
        for forged in ["reindex", "", "vote:123:1", "remove:600000000000000001", "vote:abc:1:0123456789abcdef"] {
            assert!(invocation(&key, forged, &[]).is_err(), "{forged}");
        }
        // Tagged by another install, or changed after tagging.
        let other = custom_id(&InstallKey::ephemeral(), "remove", &["7"]);
        assert!(invocation(&key, &other, &[]).is_err());
        let tagged = custom_id(&key, "remove", &["7"]);
        assert!(invocation(&key, &tagged.replacen(":7:", ":8:", 1), &[]).is_err());
        assert!(invocation(&key, &tagged, &[]).is_ok());
        let bad = custom_id(&key, "vote", &["abc", "1"]);
        assert!(Command::from_invocation(&invocation(&key, &bad, &[]).unwrap()).is_err());
        let missing = custom_id(&key, "vote", &[]);
        assert!(Command::from_invocation(&invocation(&key, &missing, &[]).unwrap()).is_err(), "answer is required");
    }
}
