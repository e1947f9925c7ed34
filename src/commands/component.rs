//! Custom ids of buttons and forms: `NAME:VALUE:VALUE...`, the values of the command's options in
//! spec order (empty for an option not given), so a press becomes an [`Invocation`] like any typed
//! command and goes through the same checks. Discord allows 100 characters; every id made here is
//! far shorter (a name, a 16-digit id and a flag).

use super::{Invocation, OptKind, OptValue, UsageError, Via, spec};

/// The custom id for command `name` with these option values (in spec order).
pub fn custom_id(name: &str, values: &[&str]) -> String {
    let mut id = name.to_owned();
    for v in values {
        id.push(':');
        id.push_str(v);
    }
    id
}

/// The invocation a custom id stands for; form fields (`(field id, value)`) add their options.
pub fn invocation(custom_id: &str, fields: &[(String, String)]) -> Result<Invocation, UsageError> {
    let mut parts = custom_id.split(':');
    let name = parts.next().unwrap_or_default();
    let spec = spec(name)
        .filter(|s| s.via == Via::Component)
        .ok_or_else(|| UsageError("this button is from another version of the bot; ask again".into()))?;
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
        let id = custom_id("vote", &["123456789", "0"]);
        assert_eq!(id, "vote:123456789:0");
        let c = Command::from_invocation(&invocation(&id, &[("comment".into(), "webhooks".into())]).unwrap());
        assert_eq!(c, Ok(Command::Vote(Vote { answer: 123456789, helpful: false, comment: Some("webhooks".into()) })));
    }

    #[test]
    fn typed_commands_and_garbage_are_not_buttons() {
        assert!(invocation("reindex", &[]).is_err());
        assert!(invocation("", &[]).is_err());
        assert!(Command::from_invocation(&invocation("vote:abc:1", &[]).unwrap()).is_err());
        assert!(Command::from_invocation(&invocation("vote", &[]).unwrap()).is_err(), "answer is required");
    }
}
